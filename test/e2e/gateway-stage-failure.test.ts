/**
 * A failure (a bug) in the stages that run after the request listener returned — parse, admission and routing
 * in the body's event listener, relay in undici's callbacks (their promise is not held for a stream's life): a warning, a 500 while no byte went out, the answer left alone (and
 * whole) once its head went out — never an unhandled rejection, and the gateway keeps serving.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  gone: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
  g: { targets: [{ backend: gone }] }
`);
const url = `${gw.url}/v1/chat/completions`;
// A tenant with limits: admission runs (and, with a shared store, may answer later, through a promise).
const limited = await useGateway(`
version: 1
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
tenants:
  t: { keys: [sk-t], limits: { tpm: 1000000 } }
`);
const runtime = () => gw.gateway.state.runtime;

const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(w.message);
process.on('warning', onWarning);
afterEach(() => {
  warnings.length = 0;
});

/** Makes `obj[name]` throw on its next call only. */
function throwOnce<T extends object>(obj: T, name: keyof T & string): void {
  const original = obj[name] as (...a: unknown[]) => unknown;
  (obj as Record<string, unknown>)[name] = function (this: unknown) {
    (obj as Record<string, unknown>)[name] = original;
    throw new Error(`injected bug in ${name}`);
  };
}

const post = (stream: boolean, model = 'm', headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, stream, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('a bug in the route and relay stages', () => {
  it('before any byte went out: 500 internal_error, a warning, and the next request is served', async () => {
    throwOnce(runtime().services.backends as Map<string, unknown>, 'get');
    const r = await post(false);
    expect(r.status).toBe(500);
    expect(r.headers.get('x-request-id')).toMatch(/^req/);
    const body = await r.text();
    expect(JSON.parse(body).error.code).toBe('internal_error');
    expect(body).not.toContain('injected');
    await eventually(() => warnings.some((w) => w.includes('injected bug in get')));
    // Nothing of the failure is shown to the client; the request is still settled and published.
    await eventually(() => gw.eventsOf('request').at(-1)?.status === 500);
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ errorType: 'internal_error' });
    // The bug struck after the attempt took a connection slot: the slot is back.
    expect(runtime().backends.get('vllm')!.slots.inUse).toBe(0);
    expect((await post(false)).status).toBe(200);
  });

  it('after the head went out, with the stream still flowing: the client gets it whole, a warning, the next is served', async () => {
    // The attempt loop learns of the commit at the head, while the answer still streams (40 tokens/s here): a
    // failure of its own bookkeeping then must not touch the answer.
    throwOnce(runtime().backends.get('vllm')!.health, 'success');
    const r = await post(true, 'm', { 'x-mock-tps': '40' });
    expect(r.status).toBe(200);
    const text = await r.text();
    expect(text).toContain('data: [DONE]');
    await eventually(() => warnings.some((w) => w.includes('injected bug in success')));
    await eventually(() => gw.eventsOf('request').at(-1)?.status === 200);
    expect(gw.eventsOf('request').at(-1)).toMatchObject({ truncated: false, clientAborted: false });
    const again = await post(true);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('data: [DONE]');
  });

  it('in the stages after the body arrived (they run in its event listener): 500 internal_error, and the next is served', async () => {
    // Parse, admission and routing run once the body's last byte is read: past the request listener's guard.
    throwOnce(runtime().routes as Map<string, unknown>, 'get');
    const r = await post(false);
    expect(r.status).toBe(500);
    expect(JSON.parse(await r.text()).error.code).toBe('internal_error');
    await eventually(() => warnings.some((w) => w.includes('injected bug in get')));
    await eventually(() => gw.eventsOf('request').at(-1)?.status === 500);
    expect((await post(true)).status).toBe(200);
  });

  it('in an admission that answers later (a shared store) and fails: 500 internal_error, and the next is served', async () => {
    const limiter = limited.gateway.state.runtime.limiter;
    const admit = limiter.admit;
    limiter.admit = () => {
      limiter.admit = admit;
      return Promise.reject(new Error('injected store failure'));
    };
    const post = () =>
      fetch(`${limited.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-t' },
        body: JSON.stringify({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      });
    const r = await post();
    expect(r.status).toBe(500);
    expect(JSON.parse(await r.text()).error.code).toBe('internal_error');
    await eventually(() => warnings.some((w) => w.includes('injected store failure')));
    expect((await post()).status).toBe(200);
  });

  it('a pool that refuses the dispatch at once (closed during a reload): an error answer, and every slot back', async () => {
    const backend = runtime().backends.get('gone')!;
    // undici answers a dispatch to a destroyed pool through the handler's error callback, synchronously.
    await backend.pool.destroy();
    for (const stream of [false, true]) {
      const r = await post(stream, 'g');
      expect(r.status).toBeGreaterThanOrEqual(500);
      await r.text();
    }
    expect(backend.slots.inUse).toBe(0);
  });
});
