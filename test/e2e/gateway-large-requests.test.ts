/**
 * Large request bodies (a long prompt, an image in base64) are parsed off the event loop
 * (src/gateway/off-loop-parse.ts) and edited as bytes: the backend must receive exactly what it would from the
 * inline parse — the client's bytes, `model` and `stream_options` edited, nothing else — and a bad body must be
 * refused in the same words.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OFF_LOOP_BYTES, OffLoopParser } from '../../src/gateway/off-loop-parse.js';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const CHUNK = (text: string) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;
const FINISH = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
const USAGE = `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'up', choices: [], usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 } })}\n\n`;
const ANSWER = JSON.stringify({
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'up',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 9, completion_tokens: 1, total_tokens: 10 },
});

const upstream = await useUpstream((_req, res, body) => {
  if (JSON.parse(body).stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${CHUNK('ok')}${FINISH}${USAGE}data: [DONE]\n\n`);
  } else res.writeHead(200, { 'content-type': 'application/json' }).end(ANSWER);
});
const MESSAGE = JSON.stringify({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'claude-up',
  content: [{ type: 'text', text: 'ok' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 9, output_tokens: 1 },
});
const claude = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(MESSAGE));
const gw = await useGateway(
  `
version: 1
backends:
  up: { url: "{{up}}" }
  claude: { url: "{{claude}}", kind: anthropic, apiKey: sk-ant-x }
models:
  m: { targets: [{ backend: up, model: "up-model" }] }
  c: { targets: [{ backend: claude, model: "claude-up" }] }
tenants:
  t: { keys: [k-large], limits: { tpm: 10000000, rpm: 1000 } }
`,
  { up: upstream.url, claude: claude.url },
);

/** A prompt of about `bytes` bytes in several scripts (multi-byte characters before and after every edit). */
function prompt(bytes: number): string {
  const piece = 'Grüße, 世界! Ünïcödé 🙂 and "quoted" text\n';
  return piece.repeat(Math.ceil(bytes / Buffer.byteLength(piece)));
}

async function post(body: string) {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k-large' },
    body,
  });
  return { status: r.status, text: await r.text() };
}

describe('a large request body, parsed off the event loop', () => {
  // The sizes handed to the thread, read when handed: the buffer is transferred, empty on this side afterwards.
  const handed: number[] = [];
  const original = OffLoopParser.prototype.parse;
  const parse = vi.spyOn(OffLoopParser.prototype, 'parse').mockImplementation(function (this: OffLoopParser, ...args) {
    handed.push(args[1].length);
    return original.apply(this, args);
  });
  afterEach(() => {
    parse.mockClear();
    handed.length = 0;
  });

  it('reaches the backend byte for byte as sent, only model replaced (non-streamed)', async () => {
    const body = `{"messages":[{"role":"user","content":${JSON.stringify(prompt(1 << 20))}}],  "model" : "m","temperature":0.2}`;
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).choices[0].message.content).toBe('ok');
    expect(parse).toHaveBeenCalledTimes(1);
    expect(handed[0]).toBeGreaterThanOrEqual(OFF_LOOP_BYTES);
    expect(parse.mock.calls[0]![1].length).toBe(0);
    expect(upstream.seen.at(-1)!.body).toBe(body.replace('"model" : "m"', '"model" : "up-model"'));
  });

  it("switches include_usage on in the client's own stream_options, keeps the rest, and withholds the usage chunk", async () => {
    const body = JSON.stringify({
      model: 'm',
      stream_options: { include_usage: false, note: 'é' },
      messages: [{ role: 'user', content: prompt(200_000) }],
      stream: true,
    });
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.text).toContain('data: [DONE]');
    expect(r.text).not.toContain('"usage"');
    const sent = JSON.parse(upstream.seen.at(-1)!.body);
    expect(sent).toEqual({ ...JSON.parse(body), model: 'up-model', stream_options: { include_usage: true, note: 'é' } });
    expect(parse).toHaveBeenCalledTimes(1);
  });

  it('adds stream_options to a stream request that has none, before its closing brace', async () => {
    const body = `{"model":"m","messages":[{"role":"user","content":${JSON.stringify(prompt(100_000))}}],"stream":true}\n`;
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(upstream.seen.at(-1)!.body).toBe(
      `{"model":"up-model","messages":[{"role":"user","content":${JSON.stringify(prompt(100_000))}}],"stream":true,"stream_options":{"include_usage":true}}\n`,
    );
  });

  it("an Anthropic client's body reaches an Anthropic backend as sent, only model replaced", async () => {
    const body = `{"model":"c","max_tokens":5,"messages":[{"role":"user","content":${JSON.stringify(prompt(300_000))}}]}`;
    const r = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k-large', 'anthropic-version': '2023-06-01' },
      body,
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { content: { text: string }[] }).content[0]!.text).toBe('ok');
    expect(parse).toHaveBeenCalledTimes(1);
    expect(claude.seen.at(-1)!.body).toBe(body.replace('"model":"c"', '"model":"claude-up"'));
  });

  it.each([
    ['a repeated model key', (p: string) => `{"model":"m","messages":[{"role":"user","content":${p}}],"m\\u006fdel":"x"}`],
    ['invalid JSON', (p: string) => `{"model":"m","messages":[{"role":"user","content":${p}}]`],
    ['no messages', (p: string) => `{"model":"m","input":${p}}`],
    ['a bad max_tokens', (p: string) => `{"model":"m","messages":[{"role":"user","content":${p}}],"max_tokens":-1}`],
  ])('refuses %s in the same words as a small body', async (_name, make) => {
    const large = await post(make(JSON.stringify(prompt(300_000))));
    const small = await post(make('"hi"'));
    expect(large.status).toBe(400);
    expect(parse).toHaveBeenCalledTimes(1);
    const words = (t: string) => JSON.parse(t).error.message.replace(/position \d+/, 'position N');
    expect(words(large.text)).toBe(words(small.text));
  });
});
