/**
 * A first-byte deadline a client's own request outlasted is not its backends' error (attacker review). A non-streamed
 * answer's head comes once it is generated whole, so its time is the length the client asked for: past
 * timeouts.firstByte, the attempt times out (504 `upstream_timeout`) and fails over. The backends' health does not count
 * it (attempts.ts lengthTimed: any client asking for long answers would eject a healthy pool), but /aigw/stats did — one
 * error per target tried — so any client could fill every backend's `errors` in the stats and `aigw top` by asking for
 * a long answer without streaming. The failures still show as what they are: 504s among the refusals, and
 * aigw_upstream_errors_total{reason="timeout"}.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

// Generating: the head of a long non-streamed answer comes only once it is whole, here never within the deadline.
const a = await useUpstream(() => {});
const b = await useUpstream(() => {});
const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 200ms }
resilience: { attempts: 2 }
backends:
  a: { url: "{{a}}" }
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: a }, { backend: b }] }
`,
  { a: a.url, b: b.url },
);

describe('a first-byte deadline the request’s length outlasted', () => {
  it('counts as neither backend’s error', async () => {
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', max_tokens: 4000, messages: [{ role: 'user', content: 'write a long story' }] },
      { headers: { 'x-request-id': 'long' } },
    );
    expect(r.status).toBe(504);
    expect(a.seen.length + b.seen.length).toBe(2);
    const e = await gw.requestEvent('long');
    expect(e.errorCode).toBe('upstream_timeout');
    const stats = gw.admin.stats.snapshot();
    expect(stats.refusals).toContainEqual(expect.objectContaining({ status: 504, code: 'upstream_timeout' }));
    expect(stats.models.m!.backends.a!.errors).toBe(0);
    expect(stats.models.m!.backends.b!.errors).toBe(0);
    const metrics = await (await fetch(`${gw.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/aigw_upstream_errors_total\{model="m",backend="a",reason="timeout"\} 1/);
  });
});
