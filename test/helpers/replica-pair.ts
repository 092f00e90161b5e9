/**
 * A misconfigured replica beside a well one, for the tests of answers that are no answer (a page, a redirect, a 404 or
 * 405 for the gateway's own path): `bad` answers as the test says and counts its hits, `good` answers a chat
 * completion. The profile's `m` routes to both (1:1, ejected after 3 failures for 60 s), `only-bad` to the bad one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type TestGateway, useGateway } from './gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from './upstream.js';

type Answer = (req: IncomingMessage, res: ServerResponse) => void;

export interface ReplicaPair {
  /** What the bad replica answers from now on; its hits count from 0 again. */
  answers(a: Answer): void;
  /** Requests the bad replica received since `answers`. */
  hits(): number;
  /** A gateway of the pair's profile (one per call: each test starts with neither replica ejected). */
  gateway(): Promise<TestGateway>;
}

export const PAIR_PROFILE = `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
backends:
  bad: { url: "{{b}}" }
  good: { url: "{{g}}" }
models:
  m: { targets: [{ backend: bad }, { backend: good }] }
  only-bad: { targets: [{ backend: bad }] }
`;

export async function useReplicaPair(first: Answer): Promise<ReplicaPair> {
  let answer = first;
  let hits = 0;
  const bad = await useUpstream((req, res) => {
    hits++;
    answer(req, res);
  });
  const good = await useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
  });
  return {
    answers(a) {
      answer = a;
      hits = 0;
    },
    hits: () => hits,
    gateway: () => useGateway(PAIR_PROFILE, { b: bad.url, g: good.url }),
  };
}

/** A chat of `model` through `gw`, read whole. */
export async function chat(
  gw: TestGateway,
  model = 'm',
): Promise<{ status: number; type: string | null; backend: string | null; body: string }> {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
  });
  return { status: r.status, type: r.headers.get('content-type'), backend: r.headers.get('x-aigw-backend'), body: await r.text() };
}

/** The statuses of `n` chats of `model`, one after another. */
export async function statusesOf(gw: TestGateway, n: number, model: (i: number) => string = () => 'm'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await chat(gw, model(i))).status);
  return out;
}

/** The backends `gw` has ejected, in order. */
export function ejected(gw: TestGateway): string[] {
  return gw
    .eventsOf('ejection')
    .filter((e) => e.ejected)
    .map((e) => e.backend);
}
