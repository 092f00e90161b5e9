/**
 * The admin listener's read-only paths and the methods they answer. /metrics, /aigw/stats and /healthz answered any
 * method with 200 and their body: `POST /aigw/stats` or `DELETE /aigw/stats` — a guess at how to zero the figures —
 * looked like success and reset nothing, where `/aigw/reset` takes POST alone, `/aigw/events` GET and HEAD, and the
 * gateway listener's /healthz refuses another method with 405. Now GET and HEAD; another method is 405 with `allow`.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';

const gw = await useGateway(ONE_MOCK_PROFILE);

function call(method: string, path: string): Promise<{ status: number; allow: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${gw.adminUrl}${path}`, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin listener by method', () => {
  for (const path of ['/metrics', '/aigw/stats', '/healthz']) {
    it.each(['GET', 'HEAD'])(`${path}: %s is answered`, async (method) => {
      expect((await call(method, path)).status).toBe(200);
    });
    it.each(['POST', 'PUT', 'DELETE', 'PATCH'])(`${path}: %s is 405 method_not_allowed with allow: GET, HEAD`, async (method) => {
      const r = await call(method, path);
      expect(r.status).toBe(405);
      expect(r.allow).toBe('GET, HEAD');
      expect(JSON.parse(r.body).error.code).toBe('method_not_allowed');
    });
  }
});
