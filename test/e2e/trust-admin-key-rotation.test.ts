/**
 * A reload that rotates `admin.key` ends the /aigw/events streams the old key opened, at their next event (or
 * keepalive): the old key already opened nothing new, but a stream it had opened went on carrying every request
 * event to whoever held the leaked key, for as long as they kept the connection (an attacker review). Rotating a
 * leaked admin key is exactly when this matters.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const profile = (key: string) => `
version: 1
admin: { key: ${key} }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
models:
  m: { targets: [{ backend: v }] }
`;
const gw = await useGateway(profile('old-admin-key-aaaa'));

describe('rotating the admin key', () => {
  it('ends event streams the old key opened', async () => {
    let seen = '';
    let closed = false;
    const sub = request(`${gw.adminUrl}/aigw/events`, { headers: { authorization: 'Bearer old-admin-key-aaaa' } }, (res) => {
      expect(res.statusCode).toBe(200);
      res.setEncoding('utf8');
      res.on('data', (d: string) => (seen += d));
      res.on('close', () => (closed = true));
    });
    sub.on('error', () => (closed = true));
    sub.end();
    await eventually(() => seen.includes(': aigw events'));

    // Keep the mocks' real URLs: reload onto the same profile with only the admin key changed.
    const next = { ...gw.stack.profile(), admin: { ...gw.stack.profile().admin, key: 'new-admin-key-bbbb' } };
    expect((await gw.stack.reload(next)).ok).toBe(true);
    // The old key no longer opens anything.
    expect((await fetch(`${gw.adminUrl}/aigw/stats`, { headers: { authorization: 'Bearer old-admin-key-aaaa' } })).status).toBe(401);

    const r = await rawPost(`${gw.url}/v1/chat/completions`, {
      model: 'm',
      messages: [{ role: 'user', content: 'after rotation' }],
      max_tokens: 2,
    });
    expect(r.status).toBe(200);
    await gw.requestEvent(r.headers['x-request-id']);
    await new Promise((res) => setTimeout(res, 200));
    // The stream the old key opened got nothing after the rotation, and was ended.
    expect(seen).not.toContain(String(r.headers['x-request-id']));
    expect(closed).toBe(true);
    sub.destroy();
  });
});
