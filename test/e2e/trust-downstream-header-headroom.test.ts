/**
 * A backend's head close to the 16 KiB the gateway's reader takes: relayed whole with what the gateway adds (its request
 * id, the tenant's x-ratelimit-*, x-aigw-backend), it reached the client past the 16 KiB a Node client reads (node:http
 * HPE_HEADER_OVERFLOW, fetch UND_ERR_HEADERS_OVERFLOW) — a 200 for the gateway, a connection error the SDKs retry.
 * The backend's headers past MAX_RELAYED_HEADER_BYTES are left out; framing and the gateway's own headers reach it.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MAX_RELAYED_HEADER_BYTES } from '../../src/relay/headers.js';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const ANSWER = JSON.stringify({
  id: 'x',
  object: 'chat.completion',
  model: 'gpt',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
});
const CHUNK = {
  id: 'x',
  object: 'chat.completion.chunk',
  model: 'gpt',
  choices: [{ index: 0, delta: { content: 'ok' }, finish_reason: null }],
};
const STREAM = `data: ${JSON.stringify(CHUNK)}\n\ndata: [DONE]\n\n`;

/** 230 headers of 70 bytes as llhttp counts them (name and value): 16,100, under the 16 KiB the gateway's reader takes. */
const BULK: [string, string][] = Array.from({ length: 230 }, (_, i) => [`x-h-${String(i).padStart(4, '0')}`, 'v'.repeat(62)]);

const up = await useUpstream((_req, res, body) => {
  const stream = JSON.parse(body).stream === true;
  const framing = stream ? ['content-type', 'text/event-stream'] : ['content-type', 'application/json'];
  res.writeHead(200, [...BULK.flat(), ...framing]);
  res.end(stream ? STREAM : ANSWER);
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  t: { keys: [k-headroom], limits: { rpm: 1000, tpm: 1000000 } }
`,
  { b: up.url },
);

interface Read {
  status?: number;
  headers?: Record<string, string | string[] | undefined>;
  body?: string;
  error?: string;
}

/** A chat through node:http as it comes (its default 16 KiB header limit), with a 100-character request id. */
function chat(stream: boolean, id: string): Promise<Read> {
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], stream });
  return new Promise((resolve) => {
    const req = request(
      `${gw.url}/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k-headroom', 'x-request-id': id } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

describe("a backend's head near the reader's limit", () => {
  it.each([
    ['non-streamed', false],
    ['streamed', true],
  ])(
    'reaches a node:http client whole (%s): framing, the request id and the limits told, the bulk cut to its budget',
    async (_k, stream) => {
      const id = `headroom-${stream ? 's' : 'b'}-${'r'.repeat(88)}`;
      const r = await chat(stream, id);
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(200);
      expect(r.headers!['x-request-id']).toBe(id);
      expect(r.headers!['x-ratelimit-limit-requests']).toBe('1000');
      expect(r.headers!['x-aigw-backend']).toBe('b');
      expect(r.headers!['content-type']).toMatch(stream ? /^text\/event-stream/ : /^application\/json/);
      if (stream) expect(r.body).toContain('data: [DONE]');
      else expect(JSON.parse(r.body!).choices[0].message.content).toBe('ok');
      // The backend's own headers, in their order, up to the budget.
      const relayed = BULK.filter(([name]) => r.headers![name] !== undefined);
      expect(relayed.length).toBeGreaterThan(190);
      expect(relayed.length).toBeLessThan(BULK.length);
      expect(relayed.reduce((n, [k, v]) => n + k.length + v.length + 4, 0)).toBeLessThanOrEqual(MAX_RELAYED_HEADER_BYTES);
      expect((await gw.requestEvent(id)).status).toBe(200);
    },
  );
});
