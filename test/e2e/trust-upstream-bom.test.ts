/**
 * A byte-order mark before an SSE line. openai-node (and the Anthropic SDK) decode each
 * line on its own (one TextDecoder call a line), which drops a leading U+FEFF: `\uFEFFdata: …` is a data line to them.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-bom-9876';
const KEY = 'sk-tenant-bom-1';
const BOM = '\uFEFF';
const chunk = (content: string) => `data: {"id":"1","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
const finish = 'data: {"id":"1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n';

const anthropicEvent = (t: string, d: object) => `event: ${t}\ndata: ${JSON.stringify({ type: t, ...d })}\n\n`;
const messageStart = anthropicEvent('message_start', {
  message: {
    id: 'm',
    type: 'message',
    role: 'assistant',
    model: 'c',
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { input_tokens: 3, output_tokens: 1 },
  },
});

const backend = await useUpstream((req, res, body) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (req.url!.startsWith('/v1/messages')) {
    // Anthropic's error event, each of its lines after a BOM, echoing the key it was sent.
    const error = JSON.stringify({ type: 'error', error: { type: 'api_error', message: `bad key ${req.headers['x-api-key']}` } });
    return res.end(`${messageStart}${BOM}event: error\n${BOM}data: ${error}\n\n`);
  }
  if (body.includes('bom-error')) {
    return res.end(
      `${chunk('Hel')}${BOM}data: {"error":{"message":"auth failed for ${req.headers.authorization}"}}\n\n${chunk('lo')}${finish}data: [DONE]\n\n`,
    );
  }
  if (body.includes('bom-done')) {
    // An end marker after a BOM: the SDK stops there; the rest of the answer follows it.
    return res.end(`${chunk('Hel')}${BOM}data: [DONE]\n\n${chunk('lo')}${finish}data: [DONE]\n\n`);
  }
  res.end(`${chunk('Hel')}${chunk('lo')}${finish}data: [DONE]\n\n`);
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}", apiKey: "${SECRET}" }
  claude: { url: "{{b}}", kind: anthropic, apiKey: "${SECRET}" }
models:
  direct: { targets: [{ backend: b }] }
  claude: { targets: [{ backend: claude }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { b: backend.url },
);

const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });

async function read(content: string): Promise<{ text: string; error: unknown }> {
  let text = '';
  try {
    const s = await client.chat.completions.create({ model: 'direct', messages: [{ role: 'user', content }], stream: true });
    for await (const c of s) text += c.choices[0]?.delta?.content ?? '';
    return { text, error: undefined };
  } catch (e) {
    return { text, error: e };
  }
}

describe('a BOM before a line of a stream', () => {
  it("an error event after one: the backend's key never reaches the client", async () => {
    const raw = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'direct', messages: [{ role: 'user', content: 'bom-error' }], stream: true },
      {
        headers: { authorization: `Bearer ${KEY}` },
      },
    );
    const { error } = await read('bom-error');
    expect(String((error as Error | undefined)?.message)).not.toContain(SECRET);
    expect(raw.body.toString()).not.toContain(SECRET);
  });

  it('an end marker after one: the SDK stops there, so the client must not be handed it as a mid-stream event', async () => {
    const { text, error } = await read('bom-done');
    // Either the client reads the whole answer, or it gets an error: never a clean end after "Hel".
    expect(error !== undefined || text === 'Hello').toBe(true);
  });

  it('Anthropic to Anthropic: an error event after one reaches the client scrubbed', async () => {
    const r = await rawPost(
      `${gw.url}/v1/messages`,
      { model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true },
      { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } },
    );
    expect(r.body.toString()).not.toContain(SECRET);
  });
});
