/**
 * What a stream holds while it lasts. Once an answer is committed no other attempt will be built, so the
 * gateway lets go of the client's body text, its parsed request and every slice of them: should the settle stage
 * have to count the prompt, it reads it from the bytes sent upstream, which undici holds off the heap until the
 * answer ends anyway. With long prompts the copies were most of what a held stream cost: three per stream on
 * the heap, then one (the parsed request), now none.
 */
import { createServer, type ServerResponse } from 'node:http';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { cleanupScope } from '../helpers/cleanup.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapUsed = () => {
  gc();
  gc();
  return getHeapStatistics().used_heap_size;
};

/** An upstream that reads each request to its end (keeping nothing), sends one chunk and holds the stream. */
const held: ServerResponse[] = [];
// With usage reported, nothing is left to count at settle (the tokenizer would count 12 MiB of prompt).
const END = 'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}\n\ndata: [DONE]\n\n';
const cleanupAfter = cleanupScope();
const upstream = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n');
    held.push(res);
  });
});
await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
cleanupAfter(() => {
  for (const res of held) res.end(END);
  upstream.closeAllConnections();
  upstream.close();
});

const gw = await useGateway(
  `version: 1
backends: { up: { url: "{{UP}}" } }
models: { m: { targets: [{ backend: up }] } }
`,
  { UP: `http://127.0.0.1:${(upstream.address() as { port: number }).port}` },
);

describe('a held stream with a long prompt', () => {
  it('keeps no copy of the prompt on the heap: not the client text, its slices, the parsed request or the upstream body', async () => {
    const N = 12;
    const PROMPT = 1024 * 1024;
    // stream_options: a top-level key long enough that V8 would keep it as a slice of the whole text.
    const body = JSON.stringify({
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'x'.repeat(PROMPT) }],
    });
    const agent = new Agent({ connections: N });
    const before = heapUsed();
    const responses = await Promise.all(
      Array.from({ length: N }, () =>
        request(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body,
        }),
      ),
    );
    const received = responses.map((r) => {
      let text = '';
      const first = new Promise<void>((ok) => r.body.on('data', (c: Buffer) => ok(void (text += c.toString()))));
      const end = new Promise<string>((ok) => r.body.on('end', () => ok(text)));
      return { first, end, text: () => text };
    });
    // Every stream's first chunk reached its client: each answer is committed.
    await Promise.all(received.map((r) => r.first));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(N).fill(200));
    expect(received.every((r) => r.text().includes('"hi"'))).toBe(true);
    expect(held).toHaveLength(N);
    const perStream = (heapUsed() - before) / N;
    // Before: ~3 × PROMPT per stream (client text, upstream body, parsed content), then ~1 × PROMPT (the parsed
    // request); now a stream's own state, tens of KiB.
    expect(perStream, `${Math.round(perStream / 1024)} KiB of heap per held stream`).toBeLessThan(PROMPT / 8);
    for (const res of held.splice(0)) res.end(END);
    const texts = await Promise.all(received.map((r) => r.end));
    expect(texts.every((t) => t.includes('[DONE]'))).toBe(true);
    await eventually(() => gw.eventsOf('request').length === N);
    await agent.close();
  });
});
