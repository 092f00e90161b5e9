/** Canary splits, sticky sessions, match overrides, fallbacks and ejection — real sockets end to end. */
import { describe, expect, it } from 'vitest';
import { startMock } from '../../src/mock/server.js';
import { MockSchema } from '../../src/profile/schema.js';
import { eventually, gatewayFor, useGateway } from '../helpers/gateway.js';
import { chatOnce, chiSquare, inParallel, shares } from '../helpers/load.js';
import { freePort } from '../helpers/ports.js';

const closedPort = freePort;

const gw = await useGateway(`
version: 1
backends:
  v1: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  v2: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  v3: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  acme-only: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  canary:
    targets: [{ backend: v1, weight: 95 }, { backend: v2, weight: 5 }, { backend: v3, weight: 0 }]
  ninety-ten:
    targets: [{ backend: v1, weight: 90 }, { backend: v2, weight: 10 }]
  sticky:
    targets: [{ backend: v1, weight: 95 }, { backend: v2, weight: 5 }]
    sticky: { header: x-session-id }
  matched:
    targets: [{ backend: v1 }]
    match:
      - when: { headers: { x-tenant: acme } }
        targets: [{ backend: acme-only }]
  with-fallback: { targets: [{ backend: v3 }], fallbacks: [fifty-fifty] }
  fifty-fifty:
    targets: [{ backend: v1, weight: 50 }, { backend: v2, weight: 50 }]
`);

describe('weighted canary split', () => {
  const title = 'realizes 95/5 within ±1.5 points over 2000 requests (from the fingerprint every answer carries), never routing weight 0';
  it(title, async () => {
    const rs = await inParallel(2000, 32, () => chatOnce(gw.url, 'canary'));
    expect(rs.every((r) => r.status === 200)).toBe(true);
    expect(rs.every((r) => r.fingerprint === r.backend)).toBe(true);
    const s = shares(rs.map((r) => r.fingerprint));
    expect(Math.abs(s.v2! - 0.05)).toBeLessThanOrEqual(0.015);
    expect(s.v3).toBeUndefined();
  });

  it('passes a chi-square test on 90/10 over 20,000 requests (p > 0.01) (case 19)', async () => {
    const rs = await inParallel(20_000, 64, () => chatOnce(gw.url, 'ninety-ten'));
    const v2 = rs.filter((r) => r.backend === 'v2').length;
    const { p } = chiSquare([rs.length - v2, v2], [90, 10]);
    expect(p).toBeGreaterThan(0.01);
  }, 240_000);
});

describe('sticky sessions', () => {
  it('keeps a session on one backend, and the weights across 2000 sessions within ±2 points', async () => {
    const firsts = await inParallel(2000, 32, (i) => chatOnce(gw.url, 'sticky', { 'x-session-id': `user-${i}` }));
    const again = await inParallel(200, 32, (i) => chatOnce(gw.url, 'sticky', { 'x-session-id': `user-${i}` }));
    again.forEach((r, i) => {
      expect(r.backend).toBe(firsts[i]!.backend);
    });
    const s = shares(firsts.map((r) => r.backend));
    expect(Math.abs((s.v2 ?? 0) - 0.05)).toBeLessThanOrEqual(0.02);
  }, 120_000);
});

describe('match overrides', () => {
  it('routes by header before the default targets', async () => {
    expect((await chatOnce(gw.url, 'matched', { 'x-tenant': 'acme' })).backend).toBe('acme-only');
    expect((await chatOnce(gw.url, 'matched', { 'x-tenant': 'other' })).backend).toBe('v1');
    expect((await chatOnce(gw.url, 'matched')).backend).toBe('v1');
  });
});

describe('fallbacks and ejection', () => {
  it("falls back to the next model when the primary's port is closed, and counts a connect error (case 10)", async () => {
    const port = await closedPort();
    const t = await gatewayFor(`
version: 1
backends:
  dead: { url: http://127.0.0.1:${port} }
  alive: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  primary: { targets: [{ backend: dead }], fallbacks: [secondary] }
  secondary: { targets: [{ backend: alive }] }
`);
    try {
      const r = await chatOnce(t.url, 'primary');
      expect(r).toMatchObject({ status: 200, backend: 'alive' });
      expect(t.eventsOf('upstream_error')[0]).toMatchObject({ backend: 'dead', reason: 'connect_error', retried: true });
    } finally {
      await t.close();
    }
    // A gateway and its mock started in the test: 5.6 s once beside another suite on 2 cores (the default is 5 s).
  }, 20_000);

  it("keeps a fallback model's own split exact while its primary answers: 100 direct requests are 50/50", async () => {
    const direct: (string | undefined)[] = [];
    for (let i = 0; i < 100; i++) {
      expect(await chatOnce(gw.url, 'with-fallback')).toMatchObject({ status: 200, backend: 'v3' });
      direct.push((await chatOnce(gw.url, 'fifty-fifty')).backend);
    }
    expect(direct.filter((b) => b === 'v1').length).toBe(50);
    expect(direct.filter((b) => b === 'v2').length).toBe(50);
  });

  it('ejects a dead canary so it stops costing attempts, still routes when every target is ejected (panic), and recovers', async () => {
    const port = await closedPort();
    const t = await gatewayFor(`
version: 1
resilience: { consecutiveFailures: 2, cooldown: 300ms }
backends:
  dead: { url: http://127.0.0.1:${port} }
  alive: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  split: { targets: [{ backend: dead, weight: 50 }, { backend: alive, weight: 50 }] }
  only-dead: { targets: [{ backend: dead }] }
`);
    try {
      // The canary is down but every request still succeeds (failover), until the canary is ejected.
      const rs = await inParallel(20, 1, () => chatOnce(t.url, 'split'));
      expect(rs.every((r) => r.status === 200 && r.backend === 'alive')).toBe(true);
      expect(t.eventsOf('ejection')[0]).toMatchObject({ backend: 'dead', ejected: true, cooldownMs: 300 });
      const attempts = t
        .eventsOf('request')
        .slice(-5)
        .map((e) => e.attempts);
      expect(attempts).toEqual([1, 1, 1, 1, 1]);
      // Every target of only-dead is ejected: panic mode still tries it (a 502 from the dead port, not a 503).
      const none = await chatOnce(t.url, 'only-dead');
      expect(none.status).toBe(502);
      expect(t.eventsOf('request').at(-1)!.attempts).toBeGreaterThan(0);

      // Bring the backend back on its port: after the cooldown it is tried again and recovers.
      const revived = await startMock({ ...MockSchema.parse({ kind: 'vllm' }), name: 'dead' }, port);
      try {
        await eventually(async () => (await chatOnce(t.url, 'only-dead')).status === 200, 5000);
        expect(t.eventsOf('ejection').at(-1)).toMatchObject({ backend: 'dead', ejected: false });
      } finally {
        await revived.close();
      }
    } finally {
      await t.close();
    }
  });
});
