/**
 * Identity told to backends (`backends.X.forwardIdentity`), through a live stack with capturing upstreams: the
 * authenticated tenant and the user it names, and no way for a client to forge either — to this backend or to
 * any other, whatever header names the profile chose.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { type Captured, useUpstream } from '../helpers/upstream.js';

const ok = (_req: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"id":"c","object":"chat.completion","model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1}}');
};
const told = await useUpstream(ok);
const custom = await useUpstream(ok);
const plain = await useUpstream(ok);

const KEY = 'sk-acme-CANARY-55d2';
const gw = await useGateway(
  `
version: 1
backends:
  told: { url: "{{told}}", forwardIdentity: { tenantHeader: x-aigw-tenant, userHeader: x-aigw-user } }
  custom: { url: "{{custom}}", forwardIdentity: { tenantHeader: X-Org, userHeader: x_user } }
  plain: { url: "{{plain}}" }
models:
  told: { targets: [{ backend: told }] }
  custom: { targets: [{ backend: custom }] }
  plain: { targets: [{ backend: plain }] }
tenants:
  acme: { keys: ["${KEY}"] }
`,
  { told: told.url, custom: custom.url, plain: plain.url },
);

async function send(model: string, headers: Record<string, string>): Promise<number> {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await r.arrayBuffer();
  return r.status;
}

/** Every value of a header as the backend received it (repeats included). */
const values = (c: Captured, name: string) =>
  c.rawHeaders.flatMap((h, i) => (i % 2 === 0 && h.toLowerCase() === name ? [c.rawHeaders[i + 1]!] : []));

describe('identity headers to backends', () => {
  const forged = { 'x-aigw-tenant': 'globex', 'x-aigw-user': 'mallory', 'x-org': 'globex' };

  it('sets the tenant and the user its client names, after dropping the client copies', async () => {
    expect(await send('told', { ...forged, 'x-aigw-user': 'ann' })).toBe(200);
    const seen = told.seen.at(-1)!;
    expect(values(seen, 'x-aigw-tenant')).toEqual(['acme']);
    expect(values(seen, 'x-aigw-user')).toEqual(['ann']);
  });

  it('forwards no user the client did not name, and never the forged tenant', async () => {
    expect(await send('told', { 'x-aigw-tenant': 'globex' })).toBe(200);
    const seen = told.seen.at(-1)!;
    expect(values(seen, 'x-aigw-tenant')).toEqual(['acme']);
    expect(values(seen, 'x-aigw-user')).toEqual([]);
  });

  it("strips every backend's identity headers from requests to all backends, configured names included", async () => {
    expect(await send('plain', forged)).toBe(200);
    const toPlain = plain.seen.at(-1)!;
    for (const name of Object.keys(forged)) expect(values(toPlain, name)).toEqual([]);
    expect(await send('custom', forged)).toBe(200);
    const toCustom = custom.seen.at(-1)!;
    expect(values(toCustom, 'x-org')).toEqual(['acme']);
    expect(values(toCustom, 'x-aigw-user')).toEqual([]);
  });

  it('strips them spelt with underscores or dots too (a WSGI or CGI backend reads x_aigw_tenant as x-aigw-tenant)', async () => {
    const underscored = {
      x_aigw_tenant: 'globex',
      X_AIGW_USER: 'mallory',
      x_org: 'globex',
      'x-aigw_tenant': 'globex',
      'x-user': 'eve',
      'X-Aigw.Tenant': 'globex',
    };
    expect(await send('custom', underscored)).toBe(200);
    const toCustom = custom.seen.at(-1)!;
    for (const name of Object.keys(underscored)) expect(values(toCustom, name.toLowerCase())).toEqual([]);
    expect(values(toCustom, 'x-org')).toEqual(['acme']);
    expect(await send('told', underscored)).toBe(200);
    const toTold = told.seen.at(-1)!;
    for (const name of Object.keys(underscored)) expect(values(toTold, name.toLowerCase())).toEqual([]);
    expect(values(toTold, 'x-aigw-tenant')).toEqual(['acme']);
  });

  it('refuses a user header that could not be forwarded with 400, before any backend is called', async () => {
    const before = told.seen.length;
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-aigw-user': 'x'.repeat(300) },
      body: JSON.stringify({ model: 'told', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.message).toContain('x-aigw-user');
    expect(body.error.message).not.toContain('xxxxxxxxxx');
    expect(told.seen.length).toBe(before);
  });
});
