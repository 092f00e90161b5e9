/**
 * An Anthropic Message passing through (Anthropic client and backend): its usage is read from the body's tail as the
 * client's SDK reads it; a tail that holds none (usage written first, in a body longer than the tail window) gives
 * none here — the body is then counted from its content off the event loop (token-worker.ts), never parsed whole on it.
 */
import { describe, expect, it } from 'vitest';
import { relayDialect } from '../../../src/relay/dialect.js';

const dialect = relayDialect('anthropic', undefined)!;

describe('the Anthropic pass-through dialect: a body’s usage', () => {
  it('from the tail when it holds it, counts as JSON reads them', () => {
    expect(dialect.bodyUsage('{"id":"m","usage":{"input_tokens":10,"output_tokens":4e3}}')).toEqual({
      prompt: 10,
      completion: 4000,
      cached: 0,
    });
  });

  it('none from a tail without it', () => {
    const body = JSON.stringify({
      usage: { input_tokens: 10, output_tokens: 4e3 },
      id: 'm',
      content: [{ type: 'text', text: 'word '.repeat(4000) }],
    });
    expect(dialect.bodyUsage(body.slice(-4096))).toBeUndefined();
  });
});
