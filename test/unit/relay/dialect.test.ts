/**
 * An Anthropic Message passing through (Anthropic client and backend): its usage is read from the body's tail, and
 * when the tail holds none — a backend that writes usage first, in a body longer than the tail window — from the
 * whole body kept for counting, as the client's SDK reads it; never from a body kept only in part.
 */
import { describe, expect, it } from 'vitest';
import { relayDialect } from '../../../src/relay/dialect.js';

const dialect = relayDialect('anthropic', undefined)!;
const body = JSON.stringify({
  usage: { input_tokens: 10, output_tokens: 4e3 },
  id: 'm',
  content: [{ type: 'text', text: 'word '.repeat(4000) }],
});
const tail = body.slice(-4096);

describe('the Anthropic pass-through dialect: a body’s usage', () => {
  it('from the tail when it holds it', () => {
    expect(dialect.bodyUsage('{"id":"m","usage":{"input_tokens":10,"output_tokens":4e3}}')).toEqual({
      prompt: 10,
      completion: 4000,
      cached: 0,
    });
  });

  it('from the whole body kept when the tail holds none', () => {
    expect(dialect.bodyUsage(tail)).toBeUndefined();
    expect(dialect.bodyUsage(tail, () => ({ bytes: Buffer.from(body), whole: true }))).toEqual({ prompt: 10, completion: 4000, cached: 0 });
  });

  it('not from a body kept only in part (its first MiB): counted from its content instead', () => {
    expect(dialect.bodyUsage(tail, () => ({ bytes: Buffer.from(body), whole: false }))).toBeUndefined();
  });
});
