/**
 * `long` against a gateway that re-chunks a stream by UTF-16 code units (a JavaScript proxy slicing text, a token at a
 * time): an emoji's two halves came in two deltas, each a lone surrogate in its JSON. The client's SDK joins the deltas
 * and gets the text whole; the bench's checker turned each delta into UTF-8 by itself — a lone surrogate is U+FFFD there
 * — and counted a whole answer "corrupted", one of `long.truncations`. The checker now joins a surrogate pair across
 * deltas, as the client does.
 */
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const SIZE = 16 * 1024;

describe('long with a stream re-chunked by UTF-16 code units', () => {
  it('counts the whole text complete, an emoji split across two deltas', async () => {
    let texts = 0;
    const up = await useUpstream((_q, res, body) => {
      const j = JSON.parse(body) as { messages: { role: string; content: string }[]; max_tokens: number; seed?: number; stream?: boolean };
      const text = generateText(chatPromptKey(j.messages), j.seed, j.max_tokens);
      if (text.includes('🙂')) texts++;
      if (!j.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'length' }] }),
        );
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      // One code unit an event: JSON.stringify writes a lone surrogate as its \\u escape, as such a proxy's encoder does.
      let out = '';
      for (let i = 0; i < text.length; i++) out += `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text[i] } }] })}\n\n`;
      out += `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })}\n\ndata: [DONE]\n\n`;
      res.end(out);
    });
    const r = await long(benchContext({ url: up.url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [SIZE] }));
    // The answer holds an emoji (else the case proves nothing).
    expect(texts).toBe(2);
    expect(r.lines.join('\n')).not.toContain('corrupted');
    expect(r.figures['long.truncations']).toBe(0);
  });
});
