/**
 * `long` against a gateway that cuts a non-streamed answer's text at its buffer and writes the JSON whole around what it
 * kept (re-serialising the cut text, `finish_reason: "length"`): the text matched the mocks' to its last byte, and the
 * answer was "corrupted after N bytes" — counted, but not as a cut, so `long.truncatedAt` (the smallest cut, what a buffer
 * limit is read from) stayed null. A whole JSON body holding a prefix of the text is a truncation now, at its bytes.
 */
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

describe('long with a JSON body whose text was cut', () => {
  it('reads a prefix of the text in whole JSON as a truncation', async () => {
    const up = await useUpstream((_q, res, body) => {
      const j = JSON.parse(body) as { messages: { role: string; content: string }[]; max_tokens: number; seed?: number; stream?: boolean };
      const text = generateText(chatPromptKey(j.messages), j.seed, j.max_tokens);
      res.writeHead(200, { 'content-type': 'application/json' });
      // Every non-streamed answer cut at 2,000 characters of text, its JSON whole.
      res.end(
        JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: text.slice(0, 2000) }, finish_reason: 'length' }] }),
      );
    });
    const r = await long(
      benchContext({ url: up.url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [16 * 1024] }),
    );
    const body = (r.detail as { mode: string; kind: string }[]).find((x) => x.mode === 'body')!;
    expect(body.kind).toBe('truncated');
    expect(typeof r.figures['long.truncatedAt']).toBe('number');
  });
});
