/**
 * A target that ignores `stream: true` and answers JSON: openai-node reads the body as events and finds none, so the
 * stream fails — but nothing cut it. The bench named it `incomplete_stream` and `long` a truncation ("truncated at N
 * bytes"), pointing an engineer at a buffer limit that was never there. Now it is `200 not_a_stream` and, in `long`, an
 * error naming the media type; a stream cut short under `text/event-stream` (or with no type) is still a truncation.
 */
import { describe, expect, it } from 'vitest';
import { stream } from '../../../src/bench/client.js';
import { long } from '../../../src/bench/long.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { loadReads } from '../../helpers/bench-stream.js';
import { useServer } from '../../helpers/upstream.js';

const json = JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }] });

/** A target answering every request with `body` under `type` (no content-type header when undefined). */
const answering = (type: string | undefined, body: string) =>
  useServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, type ? { 'content-type': type } : {}).end(body));
  });

describe('a JSON answer to a streamed request', () => {
  it('is not_a_stream in the load; a cut event stream is still incomplete_stream', async () => {
    expect(await loadReads(await answering('application/json; charset=utf-8', json))).toMatchObject({ ok: false, code: 'not_a_stream' });
    const cut = 'data: {"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n';
    expect(await loadReads(await answering('text/event-stream', cut))).toMatchObject({ ok: false, code: 'incomplete_stream' });
    expect(await loadReads(await answering(undefined, cut))).toMatchObject({ ok: false, code: 'incomplete_stream' });
    expect(await loadReads(await answering('text/plain', cut))).toMatchObject({ ok: false, code: 'incomplete_stream' });
  });

  it('is not_a_stream in the single-request client (live view)', async () => {
    const url = await answering('application/json', json);
    const out: { code?: string }[] = [];
    const ctx = benchContext({ url, mocks: {} }, { live: { record: (r: { code?: string }) => out.push(r) } as never });
    const r = await stream(ctx, { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }, { onEvent: () => {} });
    expect(r.notStream).toBe('application/json');
    expect(out[0]).toMatchObject({ code: 'not_a_stream' });
  });

  it('is an error in long naming the media type, not a truncation', async () => {
    const url = await useServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const body = JSON.parse(text) as { messages: { role: string; content: string }[]; max_tokens: number };
        const content = generateText(chatPromptKey(body.messages), 11, body.max_tokens);
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
      });
    });
    const r = await long(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [16 * 1024] }));
    const lines = r.lines.join('\n');
    expect(lines).toMatch(/16KiB body\s+complete/);
    expect(lines).toMatch(/16KiB stream\s+not a stream: answered application\/json/);
    // No cut counted; a size answered with an error is not measured whole either, so no 0 (long-envoy-refusal.test.ts).
    expect(r.figures['long.truncations']).toBeNull();
    expect(r.figures['long.truncatedAt']).toBeNull();
  });
});
