/** Request and response ids: cheap, unique within a process, and shaped like OpenAI's. */
import { randomBytes } from 'node:crypto';

const processTag = randomBytes(6).toString('hex');
let counter = 0;

/** `prefix-<12 hex of the process><counter in base 36>`, e.g. `chatcmpl-3fa2c1d09e7b1k`. */
export function nextId(prefix: string): string {
  counter = (counter + 1) % Number.MAX_SAFE_INTEGER;
  return `${prefix}-${processTag}${counter.toString(36)}`;
}
