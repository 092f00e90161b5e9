/**
 * A request a mock's HTTP layer gives up on — headers past Node's 16 KiB, a head or body slower than the request
 * deadline, bytes that are not HTTP/1.1 — is answered (431, 408, 400) in the mock's error shape, then the connection
 * closes, as a real server (uvicorn, Node's own default) answers it. The mock destroyed the socket with nothing
 * written: the client saw a reset where a status was due — openai-node and the Anthropic SDK retry a connection error,
 * so one oversized header was sent three times and reported as "Connection error", and a gateway read the backend as
 * failing, not the request as refused.
 */
import Anthropic from '@anthropic-ai/sdk';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startMock } from '../../src/mock/server.js';
import { MockSchema } from '../../src/profile/schema.js';
import { cleanupScope } from '../helpers/cleanup.js';
import { eventually } from '../helpers/eventually.js';
import { useMock } from '../helpers/mocks.js';

const PAD = { 'x-pad': 'a'.repeat(20 * 1024) };
const vllm = await useMock({ name: 'v', kind: 'vllm' });
const anthropic = await useMock({ name: 'a', kind: 'anthropic' });
const azure = await useMock({ name: 'z', kind: 'azure-openai' });
const quick = await (async () => {
  const after = cleanupScope();
  // One connection at a time: a refused connection the mock held would keep the next client out.
  const m = await startMock({ ...MockSchema.parse({ kind: 'vllm' }), name: 'quick', maxConnections: 1 }, 0, '127.0.0.1', 300);
  after(() => m.close());
  return m;
})();

const opened: Socket[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.destroy();
});

/** A client that sends `text` and keeps its side open whatever comes back: what it read, and whether the mock ended its side. */
function stubborn(url: string, text: string): { read: () => string; closed: () => boolean; socket: Socket } {
  let read = '';
  let closed = false;
  const socket = connect({ port: Number(new URL(url).port), host: '127.0.0.1', allowHalfOpen: true }, () => socket.write(text));
  socket.on('data', (d) => (read += d));
  socket.on('error', () => {});
  socket.on('end', () => (closed = true));
  socket.on('close', () => (closed = true));
  opened.push(socket);
  return { read: () => read, closed: () => closed, socket };
}

/** A GET on a connection of its own, closed after it (a kept-alive one would hold the quick mock's one place). */
const getOnce = (url: string) =>
  new Promise<{ status: number; body: string }>((resolve) => {
    const req = get(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
  });
const healthOf = async (url: string) => (await getOnce(`${url}/health`)).status;

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { status?: number; error?: unknown; constructor: { name: string } }) => ({
      kind: e.constructor.name,
      status: e.status,
      error: e.error,
    }),
  );

describe('a request the mock HTTP layer refuses', () => {
  it('headers past the bound: openai-node reads a 431 in vLLM shape, not a connection error', async () => {
    const client = new OpenAI({ baseURL: `${vllm.url}/v1`, apiKey: 'k', maxRetries: 0, defaultHeaders: PAD });
    const f = await failure(client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 }));
    expect(f).toMatchObject({ status: 431, error: { code: 431, type: 'BadRequestError' } });
  });

  it('headers past the bound: the Anthropic SDK reads a 431 in Anthropic shape', async () => {
    const client = new Anthropic({ baseURL: anthropic.url, apiKey: 'k', maxRetries: 0, defaultHeaders: PAD });
    const f = await failure(client.messages.create({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] }));
    expect(f).toMatchObject({ status: 431, error: { type: 'error', error: { type: 'invalid_request_error' } } });
  });

  it('headers past the bound: the Azure mock words it as Azure', async () => {
    const c = stubborn(azure.url, `POST /openai/deployments/d/chat/completions HTTP/1.1\r\nhost: x\r\nx-pad: ${PAD['x-pad']}\r\n\r\n`);
    await eventually(() => c.closed(), 5000);
    expect(c.read()).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(c.read().slice(c.read().indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: '431' } });
  });

  it.each([
    ['a body slower than the request deadline', 'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{', 408],
    ['bytes that are not HTTP/1.1', '\x01GARBAGE\r\n\r\n', 400],
  ])('%s: answered, then closed on the mock side though the client keeps its own open', async (_name, text, status) => {
    const c = stubborn(quick.url, text);
    await eventually(() => c.closed(), 5000);
    expect(c.read()).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(c.read()).toMatch(/\r\nx-mock-backend: quick\r\n/i);
    expect(JSON.parse(c.read().slice(c.read().indexOf('\r\n\r\n') + 4))).toMatchObject({ error: { code: status } });
    // The client still holds its side open; the mock let the connection go all the same, so the next one is served.
    await eventually(async () => (await healthOf(quick.url)) === 200, 5000);
  });
});

describe('a body cut at the request deadline', () => {
  it('is not served when the rest of it arrives after the 408', async () => {
    const stats = async () => JSON.parse((await getOnce(`${quick.url}/mock/stats`)).body) as { completed: number };
    await eventually(async () => (await healthOf(quick.url)) === 200, 5000);
    const before = (await stats()).completed;
    const body = JSON.stringify({ model: 'm', max_tokens: 2, messages: [{ role: 'user', content: 'late' }] });
    const c = stubborn(
      quick.url,
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
    );
    await eventually(() => c.read().startsWith('HTTP/1.1 408 '), 5000);
    c.socket.write(body.slice(5));
    // Served, the late request would be counted once its answer ended; the connection is let go 2 s after the 408.
    await eventually(async () => (await healthOf(quick.url)) === 200, 5000);
    expect((await stats()).completed).toBe(before);
    expect(c.read()).not.toContain('HTTP/1.1 200');
  });
});
