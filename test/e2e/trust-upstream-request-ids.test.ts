/**
 * The x-request-id a backend sees is unique to the request, whatever id its client chose. vLLM takes that header as
 * its engine's request id, a key it assumes unique (serving's _base_request_id; vLLM before #27987 used it as it
 * came): a second request in flight under the same id is refused 400 "already running", an abort of one can abort
 * the other (vllm#23697), and with several API servers the engine went down (vllm#27711). The gateway sent the
 * client's id as it came — any client could name another's (the gateway's own ids are a counter, told in every
 * response) and have the backend refuse or abort that request. The client still gets its own id back; the backend
 * gets it with a suffix of the gateway's.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-upstream-ids';

let release: () => void = () => {};
let held = new Promise<void>((r) => (release = r));
const up = await useUpstream(async (_req, res) => {
  // Both requests are in flight at the backend at once.
  await held;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
tenants:
  a: { keys: ["${KEY}-a"] }
  v: { keys: ["${KEY}-v"] }
`,
  { b: up.url },
);

const ask = (key: string, id?: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
    { headers: { authorization: `Bearer ${key}`, ...(id === undefined ? {} : { 'x-request-id': id }) } },
  );

async function bothInFlight(first: () => ReturnType<typeof ask>, second: () => ReturnType<typeof ask>) {
  const before = up.seen.length;
  held = new Promise<void>((r) => (release = r));
  const a = first();
  const b = second();
  const deadline = Date.now() + 5000;
  while (up.seen.length < before + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  release();
  const answers = await Promise.all([a, b]);
  return { answers, upstreamIds: up.seen.slice(before).map((s) => s.headers['x-request-id']) };
}

describe('the request id a backend sees', () => {
  it('two clients naming the same id: the backend sees two ids, each client gets its own back', async () => {
    const { answers, upstreamIds } = await bothInFlight(
      () => ask(`${KEY}-a`, 'shared-id-1'),
      () => ask(`${KEY}-v`, 'shared-id-1'),
    );
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(answers.map((r) => r.headers['x-request-id'])).toEqual(['shared-id-1', 'shared-id-1']);
    expect(upstreamIds).toHaveLength(2);
    expect(new Set(upstreamIds).size).toBe(2);
    // Still the client's id, for a backend's log to be read beside the client's.
    for (const id of upstreamIds) expect(String(id).startsWith('shared-id-1')).toBe(true);
  });

  it("a client naming the id the gateway gives another's request: the backend sees two ids", async () => {
    // The gateway's ids are its process tag and a counter: one answer tells the next ids.
    const probe = await ask(`${KEY}-v`);
    const id = String(probe.headers['x-request-id']);
    const next = (k: number) => `${id.slice(0, 16)}${(Number.parseInt(id.slice(16), 36) + k).toString(36)}`;
    // Every request takes ids of the same counter: the probe's lease, then each of the attacker's 40 requests its lease
    // (and, once a client's id goes upstream with a suffix, that suffix too) — the victim's request after them is given
    // the 42nd id after the probe's (the 82nd with suffixes): the attacker names those around both.
    const offsets = [...Array.from({ length: 16 }, (_, i) => 30 + i), ...Array.from({ length: 24 }, (_, i) => 70 + i)];
    const guesses = offsets.map(next);
    const before = up.seen.length;
    held = new Promise<void>((r) => (release = r));
    const attacks = guesses.map((g) => ask(`${KEY}-a`, g));
    const deadline = Date.now() + 5000;
    while (up.seen.length < before + guesses.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const victim = ask(`${KEY}-v`);
    while (up.seen.length < before + guesses.length + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    release();
    await Promise.all([...attacks, victim]);
    const ids = up.seen.slice(before).map((s) => s.headers['x-request-id']);
    expect(ids).toHaveLength(guesses.length + 1);
    // The victim's own id is one the attacker named (else this test aims at nothing).
    expect(guesses).toContain(String((await victim).headers['x-request-id']));
    expect(new Set(ids).size).toBe(ids.length);
  });
});
