/** The output an answer cut before its final usage is charged for: at least what its content deltas carried. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deltaTokensAtLeast, tokensAtLeast } from '../../../src/translate/output-estimate.js';

const delta = (index: number, d: object) => JSON.stringify({ type: 'content_block_delta', index, delta: d });
const PAYLOADS = [
  ['text_delta', 'text'],
  ['thinking_delta', 'thinking'],
  ['input_json_delta', 'partial_json'],
] as const;

describe('an Anthropic delta, read without parsing it', () => {
  it('counts its payload as JSON carries it, whatever the payload holds', () => {
    fc.assert(
      fc.property(fc.constantFrom(...PAYLOADS), fc.string({ unit: 'binary' }), fc.nat(1000), ([type, key], text, index) => {
        const data = delta(index, { type, [key]: text });
        const est = deltaTokensAtLeast(data);
        // Exactly its JSON-escaped length / 4: never below the text's own length / 4, never below one.
        expect(est).toBe(tokensAtLeast(JSON.stringify(text).length - 2));
        expect(est).toBeGreaterThanOrEqual(tokensAtLeast(text.length));
      }),
    );
  });

  it('reads the payload wherever the delta stands and however the JSON is spaced', () => {
    const text = 'x'.repeat(180);
    // Python's json.dumps spacing (LiteLLM-style backends): 45 tokens, not 1.
    expect(deltaTokensAtLeast(`{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "${text}"}}`)).toBe(45);
    // Members after the delta: the payload ends at its own closing quote, not the data's last quote.
    expect(deltaTokensAtLeast('{"delta":{"type":"text_delta","text":"abcd"},"index":0,"type":"content_block_delta"}')).toBe(1);
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(99), (t, index) => {
        const reordered = JSON.stringify({ delta: { text: t, type: 'text_delta' }, index, type: 'content_block_delta' });
        expect(deltaTokensAtLeast(reordered)).toBe(tokensAtLeast(JSON.stringify(t).length - 2));
      }),
    );
  });

  it('counts a delta of several tokens as several, and one without a payload it knows as one', () => {
    expect(deltaTokensAtLeast(delta(0, { type: 'text_delta', text: 'Hello! How can I help you today?' }))).toBe(8);
    expect(deltaTokensAtLeast(delta(0, { type: 'text_delta', text: '' }))).toBe(1);
    expect(deltaTokensAtLeast(delta(0, { type: 'signature_delta', signature: 'x'.repeat(400) }))).toBe(1);
    expect(deltaTokensAtLeast('{"type":"content_block_delta"')).toBe(1);
    expect(deltaTokensAtLeast('"text":"')).toBe(1);
  });
});
