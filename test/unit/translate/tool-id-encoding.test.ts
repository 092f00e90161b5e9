/**
 * The tool call ids an Anthropic client is given for an OpenAI backend's ids Anthropic refuses (givenToolId), read back
 * on its next turn (sentToolId): a round trip for what the gateway made; a client's own id of that form, empty when
 * decoded, or longer than any the gateway writes, goes on as it came — and costs no decoding.
 */
import { describe, expect, it } from 'vitest';
import { givenToolId, sentToolId } from '../../../src/translate/mapping.js';

describe('tool call ids given to an Anthropic client and read back', () => {
  it.each(['functions.get_weather:0', 'a.b', 'é'.repeat(128), `x${'\u{1F600}'.repeat(60)}`])('%s makes the round trip', (id) => {
    const given = givenToolId(id);
    expect(given).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(sentToolId(given)).toBe(id);
  });

  it('an id Anthropic takes is given and sent as it is', () => {
    expect(givenToolId('call_abc-1')).toBe('call_abc-1');
    expect(sentToolId('call_abc-1')).toBe('call_abc-1');
  });

  it('the bare prefix goes on as it came, not as an empty id', () => {
    expect(sentToolId('toolu_aigw64_')).toBe('toolu_aigw64_');
  });

  it('an encoded-looking id longer than any the gateway writes goes on as it came, without being decoded', () => {
    const huge = `toolu_aigw64_${'A'.repeat(5_000_000)}`;
    const from = Buffer.from;
    let decoded = 0;
    Buffer.from = ((...args: Parameters<typeof Buffer.from>) => {
      decoded++;
      return (from as (...a: unknown[]) => Buffer)(...args);
    }) as typeof Buffer.from;
    try {
      expect(sentToolId(huge)).toBe(huge);
    } finally {
      Buffer.from = from;
    }
    expect(decoded).toBe(0);
  });
});
