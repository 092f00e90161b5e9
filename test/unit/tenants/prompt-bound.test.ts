/** What a request could hold in prompt tokens, read off the bytes sent or, for a translation, its parsed body. */
import { describe, expect, it } from 'vitest';
import type { ProxyRequest } from '../../../src/openai/parse-request.js';
import { promptTokensBound, textTokensBound } from '../../../src/tenants/prompt-bound.js';

const request = (body: unknown, sent: boolean) => {
  const text = JSON.stringify(body);
  return {
    bytes: Buffer.byteLength(text),
    json: sent ? {} : body,
    sentBody: sent ? Buffer.from(text) : undefined,
  } as unknown as ProxyRequest;
};

describe('promptTokensBound', () => {
  const body = {
    model: 'm',
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'hi' },
          { type: 'image_url', image_url: { url: 'u' } },
        ],
      },
    ],
  };

  it('twice the bytes and a preamble, and 32,768 for each part with a type: the same from bytes sent or a parsed body', () => {
    for (const sent of [true, false]) {
      const p = request(body, sent);
      expect(textTokensBound(p)).toBe(2 * p.bytes + 4096);
      expect(promptTokensBound(p)).toBe(2 * p.bytes + 4096 + 2 * 32_768);
    }
  });

  it('walks a parsed body nested as deep as its size allows without recursion', () => {
    let deep: unknown = { type: 'image', source: {} };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    // (JSON.stringify itself cannot write it: its size is given.)
    const p = { bytes: 400_000, json: { model: 'm', messages: [{ role: 'user', content: 'x' }], extra: deep } } as unknown as ProxyRequest;
    expect(promptTokensBound(p)).toBe(textTokensBound(p) + 32_768);
  });
});
