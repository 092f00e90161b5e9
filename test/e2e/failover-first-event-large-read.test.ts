/**
 * A stream whose first event is the backend's error fails over (trust 40) — read from the head's first bytes, held
 * while they stay under 4 KiB. A first read of 4 KiB or more was not read at all, even when it held the whole first
 * event: an error event with a long message (a proxy's, quoting its provider's answer: LiteLLM's), or one that came
 * with more in the same read, reached the client as a 200 stream that was only an error, never failed over. A
 * complete first event is now read whatever the size of the read it came in; only the wait for one is bounded.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const ERROR = (message: string, code: number) => `data: ${JSON.stringify({ error: { message, type: 'server_error', code } })}\n\n`;
const CHUNK = (content: string) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

/** What the failing backend writes, in one write. */
let stream = '';
const failing = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(stream);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 1000 }
backends:
  failing: { url: "{{failing}}" }
  healthy: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: failing }], fallbacks: [spare] }
  spare: { targets: [{ backend: healthy }] }
`,
  { failing: failing.url },
);

const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

/** The stream's text, once its request event is published. */
async function streamText(): Promise<string> {
  const before = gw.eventsOf('request').length;
  const s = await openai.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 8, stream: true });
  let text = '';
  for await (const c of s) text += c.choices[0]?.delta.content ?? '';
  await eventually(() => gw.eventsOf('request').length > before);
  return text;
}

describe('a first read of 4 KiB or more whose first event is the backend’s error', () => {
  it.each([
    ['a long message', ERROR(`rate limited by the provider: ${'x'.repeat(6000)}`, 503)],
    ['more in the same read', `${ERROR('overloaded', 503)}: ${'p'.repeat(5000)}\n\ndata: [DONE]\n\n`],
  ])('%s: fails over, and the client streams the fallback’s answer', async (_name, text) => {
    stream = text;
    expect(text.length).toBeGreaterThan(4096);
    expect((await streamText()).length).toBeGreaterThan(0);
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 200, backend: 'healthy', attempts: 2 });
  });

  it('a first read of 4 KiB or more that begins with content is relayed whole, as before', async () => {
    stream = `${CHUNK('y'.repeat(5000))}${CHUNK('z')}data: [DONE]\n\n`;
    expect(await streamText()).toBe(`${'y'.repeat(5000)}z`);
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ status: 200, backend: 'failing', attempts: 1 });
  });
});
