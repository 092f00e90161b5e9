/**
 * An embedding's head comes once every input of it is embedded: its time is the replica's time to answer at all plus
 * the batch's size — which the client chooses (vLLM takes a batch of any length; 8 MiB is 2 million one-word inputs).
 * Read as a time to first token, one client's batch set its healthy replica's estimate to seconds at once (peak EWMA)
 * and sent every other request to its peer, as a long non-streamed generation did before c2fbc31; and a batch that
 * outlasted timeouts.firstByte counted toward its backend's ejection at every target it failed over to, as bebc3d2
 * stopped for generations: three such requests ejected every target of the model. A query's embedding (a few KiB)
 * is still read as its replica's time.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

/** A replica embedding `msPerInput` a input: the answer's head comes after the last. */
const replica = (msPerInput: number) =>
  useUpstream((_req, res, body) => {
    const { input } = JSON.parse(body) as { input: string | string[] };
    const inputs = Array.isArray(input) ? input : [input];
    setTimeout(() => {
      if (res.destroyed) return;
      const data = inputs.map((_, index) => ({ object: 'embedding', embedding: [0.5, 0.5], index }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data, model: 'e', usage: { prompt_tokens: inputs.length, total_tokens: inputs.length } }));
    }, inputs.length * msPerInput);
  });

const [a, b, c, d, spare] = await Promise.all([replica(1), replica(1), replica(1), replica(1), replica(0)]);

const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 500ms }
resilience: { attempts: 3, consecutiveFailures: 3 }
backends:
  a: { url: "{{a}}" }
  b: { url: "{{b}}" }
  c: { url: "{{c}}" }
  d: { url: "{{d}}" }
  fb: { url: "{{fb}}" }
models:
  emb: { targets: [{ backend: a, model: e }, { backend: b, model: e }], fallbacks: [spare] }
  spare: { targets: [{ backend: fb, model: e }] }
  fast:
    strategy: latency
    targets: [{ backend: c, model: e }, { backend: d, model: e }]
`,
  { a: a.url, b: b.url, c: c.url, d: d.url, fb: spare.url },
);

const embed = async (model: string, input: string | string[]) => {
  const r = await rawPost(`${gw.url}/v1/embeddings`, { model, input });
  return { status: r.status, backend: String(r.headers['x-aigw-backend']) };
};
/** A batch of `n` short inputs (~20 bytes each). */
const batch = (n: number) => Array.from({ length: n }, (_, i) => `passage number ${i}`);

describe('an embedding batch that takes longer than a query', () => {
  it("counts toward no backend's ejection when it outlasts timeouts.firstByte", async () => {
    // 2,000 inputs at 1 ms each: 2 s, four times the deadline, on either replica (the fallback answers at once).
    for (let i = 0; i < 3; i++) await embed('emb', batch(2000));
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
    const served = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await embed('emb', 'query');
      expect(r.status).toBe(200);
      served.add(r.backend);
    }
    expect(served).toEqual(new Set(['a', 'b']));
  }, 30_000);

  it("is not read as its replica's time to first token", async () => {
    for (let i = 0; i < 6; i++) await embed('fast', 'query');
    // 400 inputs (8 KB): 400 ms, within timeouts.firstByte.
    const long = (await embed('fast', batch(400))).backend;
    expect(['c', 'd']).toContain(long);
    const after: string[] = [];
    const until = performance.now() + 3000;
    while (performance.now() < until) after.push((await embed('fast', 'query')).backend);
    // Read as one, its estimate was the 400 ms the batch took, ~0.2 s still after 3 s, against its peer's ~2 ms: none.
    expect(after.filter((x) => x === long).length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it("still reads a query's embedding as its replica's time", async () => {
    // A replica slow to answer a single input is left for its peer.
    const slow = await replica(300);
    const g = await useGateway(
      `
version: 1
backends:
  s: { url: "{{s}}" }
  q: { url: "{{q}}" }
models:
  fast: { strategy: latency, targets: [{ backend: s, model: e }, { backend: q, model: e }] }
`,
      { s: slow.url, q: c.url },
    );
    const ask = async () => String((await rawPost(`${g.url}/v1/embeddings`, { model: 'fast', input: 'query' })).headers['x-aigw-backend']);
    for (let i = 0; i < 6; i++) await ask();
    const after: string[] = [];
    for (let i = 0; i < 10; i++) after.push(await ask());
    expect(after.filter((x) => x === 's').length).toBeLessThanOrEqual(2);
  }, 30_000);
});
