/**
 * Work the backend did that no usage measures is charged at least what the request reserved (admission.ts charge,
 * record.workedUnmetered) — an outcome a client can choose must not be a free one (attacker review):
 * - a 2xx answer refused or cut for its size (the buffer's `error` 502, `envoy` 500; a translated answer over it):
 *   a non-streamed answer's first byte comes once generation is over, so it was generated whole;
 * - an attempt whose answer did not begin by timeouts.firstByte once written: a max_tokens that outlasts the deadline
 *   kept the backend generating, then 504.
 * What a failed upstream costs is unchanged: nothing (case 34), as the last case pins.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { gatewayFor, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const ask = (max_tokens: number) => ({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens });
const postAs = (url: string, body: object, headers: Record<string, string> = {}) =>
  rawPost(`${url}/v1/chat/completions`, body, { headers: { authorization: 'Bearer k', ...headers } });

/** A mocked backend `v` (a vLLM mock unless `backend` says) serving model `m`, one tenant (key `k`) held to `tpm`. */
const mockedTenantProfile = ({ settings = '', backend = 'mock: { kind: vllm }', tpm = 1000 } = {}) => `
version: 1
${settings}
backends:
  v: { url: http://127.0.0.1:0, ${backend} }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { tpm: ${tpm} } }
`;

describe.each([
  ['buffered, onOverflow: error', 'mode: buffered, onOverflow: error', 'mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 0 }', 502],
  ['buffered, onOverflow: envoy', 'mode: buffered, onOverflow: envoy', 'mock: { kind: vllm, ttft: 0ms, tokensPerSecond: 0 }', 500],
  [
    'an Anthropic backend (translated, held whole)',
    'mode: passthrough',
    'kind: anthropic, apiKey: sk-ant, mock: { kind: anthropic, ttft: 0ms, tokensPerSecond: 0 }',
    502,
  ],
])('an answer refused for its size (%s)', (_n, buffer, backend, refusal) => {
  it('is charged what it reserved: a 3,000 TPM tenant gets 429 on its second 2,000-token answer', async () => {
    const gw = await gatewayFor(
      mockedTenantProfile({ settings: `limits: { responseBuffer: { ${buffer}, maxBytes: 4Ki } }`, backend, tpm: 3000 }),
    );
    try {
      // Each answer is 2,000 tokens (~10 KB), over the 4 KiB buffer; each reserves ~2,010 of the 3,000.
      const statuses: number[] = [];
      for (let i = 0; i < 2; i++) statuses.push((await postAs(gw.url, ask(2000))).status);
      // Refunded in full, the second was admitted (and the fifth: 10,000 tokens generated, no 429).
      expect(statuses).toEqual([refusal, 429]);
    } finally {
      await gw.close();
    }
  }, 30_000);
});

describe('an attempt timed out once sent', () => {
  const gwP = useGateway(mockedTenantProfile({ settings: 'timeouts: { firstByte: 300ms }' }));

  it('is charged what it reserved: a 1,000 TPM tenant whose 600-token request outlasted the deadline is refused the next', async () => {
    const gw = await gwP;
    // 600 tokens at 200/s is 3 s of generation: each gets 504 after 300 ms, ~60 tokens generated.
    const slow = () => postAs(gw.url, ask(600), { 'x-mock-tps': '200', 'x-mock-ttft': '0ms' });
    expect((await slow()).status).toBe(504);
    const probe = await postAs(gw.url, ask(1));
    // ~600 of the 1,000 charged (it was refunded in full: ~990 left).
    expect(Number(probe.headers['x-ratelimit-remaining-tokens'])).toBeLessThan(450);
    expect((await slow()).status).toBe(429);
  }, 30_000);

  it("says that charge: the request event's unmeteredCharge, and /aigw/stats counts it in the tenant's tpm and budget", async () => {
    const gw = await gatewayFor(`
version: 1
timeouts: { firstByte: 300ms }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v, pricing: { input: 1, output: 10 } }] }
tenants:
  t: { keys: [k], limits: { tpm: 100000, budget: { usd: 1, per: 1h } } }
`);
    try {
      const r = await postAs(gw.url, ask(600), { 'x-mock-tps': '200', 'x-mock-ttft': '0ms' });
      expect(r.status).toBe(504);
      const event = await gw.requestEvent(r.headers['x-request-id']);
      // Its reservation: 600 tokens of completion and the prompt's estimate; no usage, no answer.
      expect(event.unmeteredCharge?.tokens).toBeGreaterThanOrEqual(600);
      expect(event.unmeteredCharge?.tokens).toBeLessThan(700);
      // At $10 a million output tokens, 600 of them reserved: at least $0.006.
      expect(event.unmeteredCharge?.costUsd).toBeGreaterThanOrEqual(0.006);
      expect(event.costUsd).toBeUndefined();
      const stats = (await (await fetch(`${gw.adminUrl}/aigw/stats`)).json()) as {
        tenants: Record<string, { tpm: { used: number }; budget: { usedUsd: number } }>;
      };
      // Before: 0 and $0 — the limits had charged ~600 tokens and ~$0.006 while the tenant's view said none were used.
      expect(stats.tenants.t!.tpm.used).toBeGreaterThanOrEqual(event.unmeteredCharge!.tokens);
      expect(stats.tenants.t!.budget.usedUsd).toBeCloseTo(event.unmeteredCharge!.costUsd, 9);
    } finally {
      await gw.close();
    }
  }, 30_000);
});

describe('a failed upstream', () => {
  it('still costs nothing (case 34): a backend that refuses with 503 leaves the window as it was', async () => {
    const gw = await gatewayFor(mockedTenantProfile());
    try {
      expect((await postAs(gw.url, ask(600), { 'x-mock-fault': 'status:503' })).status).toBeGreaterThanOrEqual(500);
      await sleep(50);
      const probe = await postAs(gw.url, ask(1));
      expect(Number(probe.headers['x-ratelimit-remaining-tokens'])).toBeGreaterThan(950);
    } finally {
      await gw.close();
    }
  }, 30_000);
});
