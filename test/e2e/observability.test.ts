/** The admin surface (contract §4) against traffic we counted ourselves; reliability cases 42, 43, 46. */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { decodeSseBody } from '../../src/openai/sse.js';
import { eventually, gatewayFor, useGateway } from '../helpers/gateway.js';
import { inParallel } from '../helpers/load.js';
import { rawPost } from '../helpers/raw.js';

const KEY = 'sk-metrics-CANARY-99aa';
const gw = await useGateway(`
version: 1
limits: { responseBuffer: { mode: buffered, maxBytes: 64Ki, onOverflow: truncate } }
backends:
  v1: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up] } }
  v2: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up] } }
models:
  llama: { targets: [{ backend: v1, model: up, weight: 3 }, { backend: v2, model: up, weight: 1 }] }
tenants:
  acme: { keys: ["${KEY}"], limits: { tpm: 1000000, rpm: 30 } }
`);
const chat = (extra: object = {}, headers: Record<string, string> = {}) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'llama', messages: [{ role: 'user', content: 'hello' }], max_tokens: 10, ...extra },
    { headers: { authorization: `Bearer ${KEY}`, ...headers } },
  );
const metrics = async () => (await fetch(`${gw.adminUrl}/metrics`)).text();
const sample = (text: string, name: string, labels: Record<string, string>) => {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)));
  return line ? Number(line.split(' ').at(-1)) : undefined;
};

// Subscribed before the traffic: every event must arrive, in order, with ids.
const received: string[] = [];
const sub = request(`${gw.adminUrl}/aigw/events`, (res) => res.on('data', (d) => received.push(String(d))));
sub.end();
await eventually(() => received.length > 0);

describe('metrics, stats and events agree with the traffic sent', () => {
  it('counts requests, tokens, routing and truncations', async () => {
    const rs = await inParallel(20, 4, () => chat());
    expect(rs.every((r) => r.status === 200)).toBe(true);
    const streamed = await chat({ stream: true });
    expect(streamed.status).toBe(200);
    const cut = await chat({ max_tokens: 30_000 });
    expect(cut.ended).toBe('aborted');
    await eventually(() => gw.eventsOf('request').length >= 22);

    const m = await metrics();
    const v1 = sample(m, 'aigw_routed_requests_total', { model: 'llama', backend: 'v1' })!;
    const v2 = sample(m, 'aigw_routed_requests_total', { model: 'llama', backend: 'v2' })!;
    expect(v1 + v2).toBe(22);
    // 21 answers report their usage, 10 tokens each; the cut one's never arrived, and it counts what it carried as far
    // as it came (the client got its start: it is charged for it).
    const cutTokens = gw.eventsOf('request').find((e) => e.requestId === cut.headers['x-request-id'])!.tokens;
    expect(cutTokens.outputSource).not.toBe('usage');
    expect(cutTokens.output).toBeGreaterThan(10);
    expect(sample(m, 'gen_ai_client_token_usage_count', { gen_ai_original_model: 'llama', gen_ai_token_type: 'output' })).toBe(22);
    expect(sample(m, 'gen_ai_client_token_usage_sum', { gen_ai_original_model: 'llama', gen_ai_token_type: 'output' })).toBe(
      21 * 10 + cutTokens.output,
    );
    expect(sample(m, 'gen_ai_server_time_to_first_token_seconds_count', { gen_ai_response_model: 'up' })).toBe(1);
    expect(sample(m, 'aigw_truncations_total', { reason: 'buffer_truncate' })).toBe(1);
    expect(m).toContain('# TYPE gen_ai_server_request_duration_seconds histogram');

    const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as {
      models: Record<
        string,
        {
          requests: number;
          backends: Record<
            string,
            {
              requests: number;
              weight: number;
              share: number;
              expectedShare: number;
              tokens: { output: number };
              latencyMs: { p50: number };
            }
          >;
        }
      >;
      tenants: Record<string, { rpm: { used: number; limit: number }; tpm: { used: number } }>;
      truncations: { reason: string; bytesDelivered: number }[];
    };
    const llama = stats.models.llama!;
    expect(llama.requests).toBe(22);
    expect(llama.backends.v1!.requests).toBe(v1);
    expect(llama.backends.v1!).toMatchObject({ weight: 3, expectedShare: 0.75 });
    expect(llama.backends.v1!.share).toBeCloseTo(v1 / 22, 5);
    expect(llama.backends.v1!.latencyMs.p50).toBeGreaterThan(0);
    expect(stats.tenants.acme!.rpm).toMatchObject({ used: 22, limit: 30 });
    expect(stats.truncations[0]).toMatchObject({ reason: 'buffer_truncate', bytesDelivered: 64 * 1024 });

    await eventually(() => decodeSseBody(received.join('')).filter((e) => e.event === 'request').length >= 22);
    const events = decodeSseBody(received.join('')).filter((e) => e.data !== undefined);
    const ids = events.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(events.find((e) => e.event === 'truncation')).toBeDefined();
    for (const e of events) expect(JSON.parse(e.data!)).toMatchObject({ type: e.event, ts: expect.any(Number) });
  });

  it('resumes from Last-Event-ID', async () => {
    const all = decodeSseBody(received.join('')).filter((e) => e.id);
    const from = Number(all.at(-5)!.id);
    const replay = await new Promise<string>((resolve) => {
      const req = request(`${gw.adminUrl}/aigw/events`, { headers: { 'last-event-id': String(from) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        setTimeout(() => {
          req.destroy();
          resolve(text);
        }, 200);
      });
      req.end();
    });
    expect(
      decodeSseBody(replay)
        .filter((e) => e.id)
        .map((e) => Number(e.id)),
    ).toEqual(all.slice(-4).map((e) => Number(e.id)));
  });

  it('counts rate-limit rejections by kind', async () => {
    const rs = await inParallel(20, 5, () => chat({ max_tokens: 1 }));
    expect(rs.some((r) => r.status === 429)).toBe(true);
    expect(sample(await metrics(), 'aigw_rate_limited_total', { tenant: 'acme', kind: 'requests' })).toBe(
      rs.filter((r) => r.status === 429).length,
    );
  });
});

describe('attempts that failed over', () => {
  it('count toward the failing backend: its errors in /aigw/stats, its routing decisions in /metrics', async () => {
    let received = 0;
    const failing = createServer((_req, res) => {
      received++;
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    const g = await gatewayFor(
      `
version: 1
backends:
  ok: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up] } }
  bad: { url: "{{BAD}}" }
models:
  m: { targets: [{ backend: ok, model: up }, { backend: bad, model: up }] }
`,
      { BAD: `http://127.0.0.1:${(failing.address() as AddressInfo).port}` },
    );
    try {
      const rs = await inParallel(20, 1, () =>
        rawPost(`${g.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
      );
      expect(rs.every((r) => r.status === 200)).toBe(true);
      await eventually(() => g.eventsOf('request').length === 20);
      expect(received).toBeGreaterThan(0);
      const stats = (await (await fetch(`${g.adminUrl}/aigw/stats`)).json()) as {
        models: Record<string, { backends: Record<string, { requests: number; errors: number }> }>;
      };
      expect(stats.models.m!.backends.bad).toMatchObject({ requests: 0, errors: received });
      expect(stats.models.m!.backends.ok).toMatchObject({ requests: 20, errors: 0 });
      const m = await (await fetch(`${g.adminUrl}/metrics`)).text();
      expect(sample(m, 'aigw_routed_requests_total', { model: 'm', backend: 'bad' })).toBe(received);
      expect(sample(m, 'aigw_routed_requests_total', { model: 'm', backend: 'ok' })).toBe(20);
    } finally {
      await g.close();
      failing.closeAllConnections();
      failing.close();
    }
  });
});

describe('bounded cardinality and no secrets (cases 43, 46)', () => {
  it('keeps the model label to configured names plus unknown under 10k random model names', async () => {
    await inParallel(10_000, 50, (i) => chat({ model: `random-${i}-${Math.random()}` }));
    const m = await metrics();
    const models = new Set([...m.matchAll(/[{,](?:model|gen_ai_original_model)="([^"]*)"/g)].map((x) => x[1]));
    expect([...models].sort()).toEqual(['llama', 'unknown']);
    // Requests refused before routing report the model they asked for as the one that would have been sent.
    const sent = new Set([...m.matchAll(/[{,]gen_ai_(?:request|response)_model="([^"]*)"/g)].map((x) => x[1]));
    for (const v of sent) expect(['llama', 'unknown', 'up']).toContain(v);
    expect(m.split('\n').length).toBeLessThan(1000);
  }, 60_000);

  it('shows no API key in metrics, stats or events', async () => {
    const everything = [await metrics(), await (await fetch(`${gw.adminUrl}/aigw/stats`)).text(), received.join('')].join('\n');
    expect(everything).not.toContain(KEY);
  });
});

describe('a subscriber that never reads (case 42)', () => {
  it('does not slow the gateway; its backlog is bounded and drops are counted', async () => {
    const { connect } = await import('node:net');
    const port = Number(new URL(gw.adminUrl).port);
    const stuck = connect(port, '127.0.0.1', () => stuck.write('GET /aigw/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    stuck.pause();
    // Past the kernel's socket buffers (about 4 MiB on loopback here), this much may queue before drops start.
    gw.admin.events.maxPendingBytes = 64 * 1024;
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const rs = await inParallel(12_000, 50, () => chat({ model: 'random-model' }));
    const ms = performance.now() - t0;
    expect(rs.every((r) => r.status === 404)).toBe(true);
    // A few ms a request even on a loaded machine; a subscriber that blocked the gateway would stall it outright.
    expect(ms / 12_000).toBeLessThan(50);
    expect(gw.admin.events.dropped).toBeGreaterThan(0);
    expect(Number(/aigw_event_subscriber_drops_total (\d+)/.exec(await metrics())?.[1])).toBe(gw.admin.events.dropped);
    stuck.destroy();
  }, 60_000);
});

/** A GET or POST with the headers a browser would add (node:http lets a test set Host and Origin). */
function asBrowser(url: string, headers: Record<string, string>, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web pages on an admin listener without a key', () => {
  const port = () => new URL(gw.adminUrl).port;

  it('a rebound DNS name reads nothing: 403 without stats, tenants or events', async () => {
    for (const path of ['/aigw/stats', '/metrics', '/aigw/events']) {
      const r = await asBrowser(`${gw.adminUrl}${path}`, { host: `rebind.evil.example:${port()}` });
      expect(r.status, path).toBe(403);
      expect(JSON.parse(r.body).error.type).toBe('permission_error');
      expect(r.body).not.toContain('acme');
    }
  });

  it('a cross-site POST does not reset the stats', async () => {
    await chat();
    const r = await asBrowser(`${gw.adminUrl}/aigw/reset`, { host: `127.0.0.1:${port()}`, origin: 'https://evil.example' }, 'POST');
    expect(r.status).toBe(403);
    const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as { models: Record<string, unknown> };
    expect(Object.keys(stats.models)).toContain('llama');
    expect(JSON.stringify(stats.models)).toMatch(/"requests":[1-9]/);
  });

  it("another site's page opening the event stream (a no-cors GET: no Origin) is refused before it holds a subscriber slot", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${gw.adminUrl}/aigw/events`,
        { headers: { host: `127.0.0.1:${port()}`, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' } },
        (res) => {
          resolve(res.statusCode!);
          res.destroy();
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('programs by address or localhost are answered as before', async () => {
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`])
      expect((await asBrowser(`${gw.adminUrl}/metrics`, { host })).status, host).toBe(200);
  });
});

describe('admin.key', () => {
  it('guards the admin surface with a bearer key (health stays open)', async () => {
    const { gatewayFor } = await import('../helpers/gateway.js');
    const g = await gatewayFor(`
version: 1
admin: { key: admin-secret }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`);
    try {
      expect((await fetch(`${g.adminUrl}/metrics`)).status).toBe(401);
      expect((await fetch(`${g.adminUrl}/aigw/stats`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${g.adminUrl}/aigw/stats`, { headers: { authorization: 'Bearer admin-secret' } })).status).toBe(200);
      // The scheme in any case (RFC 9110), as the gateway reads tenant keys; anything but the key itself is refused.
      for (const scheme of ['bearer', 'BEARER'])
        expect((await fetch(`${g.adminUrl}/aigw/stats`, { headers: { authorization: `${scheme} admin-secret` } })).status).toBe(200);
      for (const value of ['Basic admin-secret', 'Bearer admin-secret extra', 'Bearer', 'admin-secret', 'Bearer admin-secre'])
        expect((await fetch(`${g.adminUrl}/aigw/stats`, { headers: { authorization: value } })).status, value).toBe(401);
      expect((await fetch(`${g.adminUrl}/healthz`)).status).toBe(200);
      // The key is what a page cannot send: any name reaches the listener with it.
      const host = `admin.example:${new URL(g.adminUrl).port}`;
      expect((await asBrowser(`${g.adminUrl}/aigw/stats`, { host, authorization: 'Bearer admin-secret' })).status).toBe(200);
    } finally {
      await g.close();
    }
  });
});
