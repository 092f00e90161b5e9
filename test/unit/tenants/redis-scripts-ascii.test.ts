/**
 * The Lua scripts are ASCII: a Lua comment is sent to Redis with each EVAL, and a scripted store (test/helpers/redis.ts
 * reads commands as latin1) told a script with an em dash in a comment from every one it knows — the SETTLE that
 * followed never counted (trust-stats-admitted-while-gone failed in CI).
 */
import { expect, it } from 'vitest';
import * as scripts from '../../../src/tenants/limits/redis-scripts.js';

it.each(Object.entries(scripts).filter(([, v]) => typeof v === 'string'))('%s is ASCII', (_name, script) => {
  expect([...(script as string)].filter((c) => c.charCodeAt(0) > 0x7f)).toEqual([]);
});
