/** The gateway's handler on fake request/response pairs: routes, methods, auth and errors, no socket. */
import { afterAll, describe, expect, it } from 'vitest';
import { LiveList } from '../../../src/core/live-list.js';
import { EventBus } from '../../../src/events/bus.js';
import { createHandler, type GatewayState } from '../../../src/gateway/handle.js';
import { Runtime } from '../../../src/gateway/runtime.js';
import { parseProfile } from '../../../src/profile/load.js';
import { BackendRegistry } from '../../../src/upstream/backends.js';
import { fakeRequest } from '../../helpers/fake-http.js';

const loaded = parseProfile(
  `
version: 1
backends:
  v: { url: http://127.0.0.1:9 }
models:
  llama: { targets: [{ backend: v }] }
  qwen: { targets: [{ backend: v }] }
tenants:
  a: { keys: [key-a], models: [llama] }
`,
  'handler.yaml',
  {},
);
if (!loaded.ok) throw new Error('profile');
const registry = new BackendRegistry();
const bus = new EventBus();
const runtime = await Runtime.create(loaded.profile, registry, bus);
const state: GatewayState = {
  runtime,
  bus,
  tokens: { count: async () => undefined },
  live: new LiveList(),
  authenticating: new Set(),
  settling: new Set(),
  places: new Map(),
  draining: false,
};
const handler = createHandler(state);
afterAll(async () => {
  await registry.close();
  await runtime.close();
});

const auth = { authorization: 'Bearer key-a' };

describe('the handler, without a socket', () => {
  it.each([
    ['GET /healthz', 200, 'GET', '/healthz', {}, undefined],
    ['an unknown path', 404, 'GET', '/v2/nothing', auth, 'not_found'],
    ['a wrong method on a proxy path', 405, 'GET', '/v1/chat/completions', auth, 'method_not_allowed'],
    ['no key', 401, 'GET', '/v1/models', {}, 'invalid_api_key'],
    ['a malformed percent-escape', 400, 'GET', '/v1/models/%ZZ', auth, 'invalid_request'],
    ['a model the tenant may not use', 403, 'GET', '/v1/models/qwen', auth, 'model_not_allowed'],
    ['a model that does not exist', 404, 'GET', '/v1/models/nope', auth, 'model_not_found'],
  ])('%s → %d', async (_name, status, method, url, headers, code) => {
    const r = await fakeRequest(handler, method, url, headers);
    expect(r.status).toBe(status);
    expect(r.headers['x-request-id']).toBeTruthy();
    if (code) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(JSON.parse(r.body).error.code).toBe(code);
    }
  });

  it('lists only the models the key may use, in OpenAI’s list shape', async () => {
    const r = await fakeRequest(handler, 'GET', '/v1/models', auth);
    expect(JSON.parse(r.body)).toMatchObject({ object: 'list', data: [{ id: 'llama', object: 'model', owned_by: 'aigw' }] });
  });

  it('refuses a body with a repeated model key before anything is routed', async () => {
    const body = '{"model":"llama","m\\u006fdel":"qwen","messages":[{"role":"user","content":"x"}]}';
    const r = await fakeRequest(handler, 'POST', '/v1/chat/completions', { ...auth, 'content-type': 'application/json' }, body);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body).error).toMatchObject({ code: 'invalid_request', param: 'model' });
  });
});
