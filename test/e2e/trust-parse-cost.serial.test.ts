/**
 * A request's shape is checked in time that does not grow with what is wrong in it: arrays of a few MiB (a quarter
 * of the default limits.maxRequestBytes) in `prompt`, `input` or a message's content are refused, or passed on,
 * without holding the event loop — every other client's requests — for seconds (zod checked every element of every
 * branch of a union: 2.6–3.5 s each). Serial: the bound is a wall-clock one (1 s, against ~2 orders of magnitude less).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
  t: { url: http://127.0.0.1:0, mock: { kind: tei, models: [e], dimensions: 8 } }
models:
  m: { targets: [{ backend: v }] }
  e: { targets: [{ backend: t }] }
tenants:
  a: { keys: [k], limits: { tpm: 1000 } }
`);

async function loopMaxWhile(path: string, body: string): Promise<{ status: number; maxMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const r = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
    body,
  });
  await r.arrayBuffer();
  h.disable();
  return { status: r.status, maxMs: h.max / 1e6 };
}

describe('a long prompt/input array is not a seconds-long stall of the event loop', () => {
  // ~2 MiB: 400k booleans (each refused by every branch of a union), 1M token ids.
  const bools = Array(400_000).fill('true').join(',');
  const ints = Array(1_000_000).fill('1').join(',');

  it('completions prompt: [true, true, …] is refused without holding the loop for seconds', async () => {
    const r = await loopMaxWhile('/v1/completions', `{"model":"m","max_tokens":1,"prompt":[${bools}]}`);
    expect(r.status).toBe(400);
    expect(r.maxMs).toBeLessThan(1000);
  }, 60_000);

  it('embeddings input: [1, 1, …] (a token array, valid) does not hold the loop for seconds', async () => {
    const r = await loopMaxWhile('/v1/embeddings', `{"model":"e","input":[${ints}]}`);
    expect(r.maxMs).toBeLessThan(1000);
  }, 60_000);

  it('count_tokens (costs no tokens) with content: [1, 1, …] is refused without holding the loop for seconds', async () => {
    const r = await loopMaxWhile('/v1/messages/count_tokens', `{"model":"m","messages":[{"role":"user","content":[${ints}]}]}`);
    expect(r.status).toBe(400);
    expect(r.maxMs).toBeLessThan(1000);
  }, 60_000);
});
