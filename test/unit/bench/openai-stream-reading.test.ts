/**
 * The load reads an OpenAI stream as openai-node reads it, and openai-node itself is the judge here, on the same
 * target: nothing after [DONE] is read (its iterator skips the rest), and an event it dispatches with data that is
 * not JSON throws — `data:` with nothing after it, or an event named without a data line (data ''). The bench skipped
 * such an event and counted the stream whole, and it counted text a gateway sent after an early [DONE] as received —
 * the load and `long` alike: a stream cut with [DONE] and then sent on was a complete answer.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { chatPromptKey, generateText, MEAN_TOKEN_BYTES } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { loadReads, streamTarget } from '../../helpers/bench-stream.js';
import { useServer } from '../../helpers/upstream.js';

const content = (text: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
const DONE = 'data: [DONE]\n\n';

/** What openai-node makes of the stream: the text it yields, or the failure it throws. */
async function sdkReads(url: string): Promise<{ text: string } | { failed: string }> {
  const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'k', maxRetries: 0 });
  let text = '';
  try {
    const s = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    return { text };
  } catch (e) {
    return { failed: (e as Error).constructor.name };
  }
}

describe('the load reads an OpenAI stream as openai-node does', () => {
  it('reads a well-formed stream whole, comments and id-only blocks skipped (the control)', async () => {
    const url = await streamTarget(`${content('Hello')}: ping\n\nid: 3\n\n${content(' there')}${DONE}`);
    expect(await sdkReads(url)).toEqual({ text: 'Hello there' });
    expect(await loadReads(url)).toMatchObject({ ok: true, text: 'Hello there', contentEvents: 2 });
  });

  it('counts an event with empty data, or named without data, as one no client could read', async () => {
    for (const odd of ['data:\n\n', 'data: \n\n', 'event: keepalive\n\n']) {
      const url = await streamTarget(`${content('Hello')}${odd}${content(' there')}${DONE}`);
      expect(await sdkReads(url), JSON.stringify(odd)).toEqual({ failed: 'SyntaxError' });
      expect(await loadReads(url), JSON.stringify(odd)).toMatchObject({ ok: false, code: 'invalid_event' });
    }
  });

  it('reads nothing after [DONE]: text sent after it is text no client received', async () => {
    const url = await streamTarget(`${content('Hello')}${DONE}${content(' there')}data: {not json\n\n${DONE}`);
    expect(await sdkReads(url)).toEqual({ text: 'Hello' });
    expect(await loadReads(url)).toMatchObject({ ok: true, text: 'Hello', contentEvents: 1 });
  });

  it('takes data that starts with [DONE] as the end, as the SDK does', async () => {
    const url = await streamTarget(`${content('Hello')}data: [DONE] \n\n`);
    expect(await sdkReads(url)).toEqual({ text: 'Hello' });
    expect(await loadReads(url)).toMatchObject({ ok: true, text: 'Hello' });
  });
});

describe('long reads a stream as openai-node does', () => {
  it('counts a stream whose [DONE] comes before the rest of its text as truncated there, not complete', async () => {
    const size = 256 * 1024;
    const key = chatPromptKey([{ role: 'user', content: 'a long answer of 256KiB [[mock ttft=0ms tps=0 chunk=64]]' }]);
    const text = generateText(key, 11, Math.ceil(size / MEAN_TOKEN_BYTES));
    const half = Math.floor(text.length / 2);
    const url = await useServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        if (!body.includes('"stream":true'))
          return res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ choices: [{ message: { content: text } }] }));
        res
          .writeHead(200, { 'content-type': 'text/event-stream' })
          .end(`${content(text.slice(0, half))}${DONE}${content(text.slice(half))}${DONE}`);
      });
    });
    const r = await long(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 300, connections: 1, longSizes: [size] }));
    expect(r.lines.join('\n')).toMatch(/256KiB body\s+complete/);
    expect(r.lines.join('\n')).toMatch(/256KiB stream\s+truncated at \d+ bytes \(\d+ of the text\), though the stream ended cleanly/);
    expect(r.figures).toMatchObject({ 'long.truncations': 1 });
  });
});
