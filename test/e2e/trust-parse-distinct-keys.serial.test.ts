/**
 * A body of many distinct object keys is refused before JSON.parse builds a hidden class for each: 6,500 objects of
 * 100 keys, all different (7.7 MB, under the default maxRequestBytes), held the event loop — every other client's
 * requests — 2.6 s before it was refused by the tenant's limits. Keys repeated from object to object (what real
 * requests hold: messages, tool schemas) and array indexes (logit_bias' token ids) are not counted. So is a body of
 * more objects, arrays and strings than any request holds: 8 MB of `[[[…]]]` (4 M arrays) held the loop 1.05 s.
 * Serial: the bound is a wall-clock one (1.5 s, ten times the ~0.15 s a refusal takes).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { MAX_DISTINCT_KEYS, MAX_JSON_VALUES, scanTopLevel } from '../../src/openai/json-scan.js';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  a: { keys: [k], limits: { tpm: 100000000 } }
`);

async function loopMaxWhile(body: string): Promise<{ status: number; code: unknown; maxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body,
  });
  const json = (await r.json()) as { error?: { code?: unknown } };
  h.disable();
  return { status: r.status, code: json.error?.code, maxMs: h.max / 1e6 };
}

/** `objects` objects of `keys` keys each, every key distinct or the same `keys` in each, in a field no API reads. */
function chatWith(objects: number, keys: number, distinct: boolean): string {
  const list: string[] = [];
  for (let j = 0; j < objects; j++) {
    const members: string[] = [];
    for (let i = 0; i < keys; i++) members.push(`"k${distinct ? j * keys + i : i}":1`);
    list.push(`{${members.join(',')}}`);
  }
  return `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}],"extra":[${list.join(',')}]}`;
}

describe('distinct object keys are bounded before JSON.parse', () => {
  it('650,000 distinct nested keys are refused 400 without holding the loop for seconds', async () => {
    const r = await loopMaxWhile(chatWith(6_500, 100, true));
    expect(r.status).toBe(400);
    expect(r.code).toBe('invalid_request');
    expect(r.maxMs).toBeLessThan(1500);
  }, 60_000);

  it('as many top-level keys are refused too', async () => {
    const keys = Array.from({ length: 2 * MAX_DISTINCT_KEYS }, (_, i) => `"k${i}":1`).join(',');
    const r = await loopMaxWhile(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}],${keys}}`);
    expect(r.status).toBe(400);
    expect(r.code).toBe('invalid_request');
  });

  it('keys repeated across objects, and logit_bias token ids, are served however many', async () => {
    expect((await loopMaxWhile(chatWith(400, 100, false))).status).toBe(200);
    const bias = Array.from({ length: 2 * MAX_DISTINCT_KEYS }, (_, i) => `"${i}":-100`).join(',');
    const r = await loopMaxWhile(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}],"logit_bias":{${bias}}}`);
    expect(r.status).toBe(200);
  });

  it('the scan counts keys at every depth, never strings that are values or array elements', () => {
    const values = Array.from({ length: 3 * MAX_DISTINCT_KEYS }, (_, i) => `"v${i}"`).join(',');
    expect(scanTopLevel(`{"a":[${values}],"b":{"c":[{"d":"x"},[${values}]]}}`, 128).ok).toBe(true);
    const nested = Array.from({ length: MAX_DISTINCT_KEYS + 4_200 }, (_, i) => `{"x":{"k${i}":[1,{"y":"v"}]}}`).join(',');
    expect(scanTopLevel(`{"a":[${nested}]}`, 128)).toEqual({ ok: false, reason: 'too_many_keys' });
  });

  it('8 MB of nested empty arrays (4 M values JSON.parse allocates) are refused 400 without holding the loop', async () => {
    const nested = `${'['.repeat(60)}${']'.repeat(60)},`.repeat(68_000);
    const r = await loopMaxWhile(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}],"extra":[${nested}0]}`);
    expect(r.status).toBe(400);
    expect(r.code).toBe('invalid_request');
    expect(r.maxMs).toBeLessThan(1500);
  }, 60_000);

  it('the value count takes objects, arrays and strings that are not keys, up to the bound', () => {
    const within = `{"model":"m","a":[${'{"k":"v"},'.repeat(MAX_JSON_VALUES / 2 - 4)}0]}`;
    expect(scanTopLevel(within, 128).ok).toBe(true);
    expect(scanTopLevel(`{"a":[${'"s",'.repeat(MAX_JSON_VALUES)}0]}`, 128)).toEqual({ ok: false, reason: 'too_many_values' });
    expect(scanTopLevel(`{"a":[${'{},'.repeat(MAX_JSON_VALUES)}0]}`, 128)).toEqual({ ok: false, reason: 'too_many_values' });
  });
});
