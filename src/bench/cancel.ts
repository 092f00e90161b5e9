/**
 * `cancel`: clients that give up — while the backend holds its headers, before the first token, and
 * mid-stream — must cost the backend nothing more: each abort has to reach the mock (its /mock/stats
 * records when its socket closed) within a bound. This is LiteLLM's best-known leak.
 */
import { request } from 'undici';
import { MESSAGES_PATH, messagesBody } from './anthropic-api.js';
import { authHeaders, round, type BenchContext, type ScenarioResult } from './context.js';
import { sideCount, sideJson } from './side-read.js';

const BOUND_MS = 1000;

interface AbortRecord {
  ts: number;
  atToken: number;
  stream: boolean;
}

/** A mock's counts at one moment: generation requests received, and aborts recorded. */
interface MockCounts {
  requests: number;
  aborted: number;
  /** The abort records it still keeps, oldest first (the last `aborted` of them at most). */
  recent: AbortRecord[];
}

/** The paths a generation is asked on (a gateway's health checks and the bench's own /mock/stats reads are not). */
const GENERATION = /(chat\/completions|\/v1\/completions|\/v1\/messages)$/;

async function countsOf(url: string): Promise<MockCounts | undefined> {
  // Bounded in time and size (side-read.ts): the scenario polls this for 3 s, and a plain fetch waited on a silent one for minutes.
  const s = (await sideJson(`${url}/mock/stats`)) as
    | { requests?: unknown; aborted?: { count?: unknown; recent?: unknown } }
    | null
    | undefined;
  if (!s || typeof s !== 'object') return undefined;
  let requests = 0;
  if (s.requests && typeof s.requests === 'object')
    for (const [path, n] of Object.entries(s.requests)) if (GENERATION.test(path)) requests += sideCount(n) ?? 0;
  const raw = s.aborted?.recent;
  if (!Array.isArray(raw)) return undefined;
  // The records' number when the count is not one (the mocks write both): the latest are still the last.
  const aborted = sideCount(s.aborted?.count) ?? raw.length;
  const recent: AbortRecord[] = [];
  for (const r of raw as Partial<Record<keyof AbortRecord, unknown>>[]) {
    // Numbers only, as a count is read elsewhere: the records are what the listener wrote.
    const ts = sideCount(r?.ts);
    if (ts !== undefined) recent.push({ ts, atToken: sideCount(r?.atToken) ?? 0, stream: r?.stream === true });
  }
  return { requests, aborted, recent };
}

async function snapshot(ctx: BenchContext): Promise<Map<string, MockCounts>> {
  const out = new Map<string, MockCounts>();
  for (const url of Object.values(ctx.target.mocks)) {
    const c = await countsOf(url);
    if (c) out.set(url, c);
  }
  return out;
}

/**
 * What the mocks did since `before`: the generation requests they received, and the abort records written since (by
 * their count, not their time: an earlier phase's abort arriving late is stamped in this phase's time).
 */
async function since(ctx: BenchContext, before: Map<string, MockCounts>): Promise<{ requests: number; aborts: AbortRecord[] }> {
  let requests = 0;
  const aborts: AbortRecord[] = [];
  for (const [url, now] of await snapshot(ctx)) {
    const was = before.get(url) ?? { requests: 0, aborted: 0, recent: [] };
    requests += Math.max(0, now.requests - was.requests);
    const fresh = Math.max(0, now.aborted - was.aborted);
    aborts.push(...(fresh ? now.recent.slice(-fresh) : []));
  }
  return { requests, aborts };
}

export async function cancel(ctx: BenchContext): Promise<ScenarioResult> {
  if (!Object.keys(ctx.target.mocks).length)
    return { figures: {}, lines: ["cancel      skipped: needs the mocks' /mock/stats (give -c PROFILE)"] };
  const phases: [string, string, boolean, number][] = [
    ['waiting for headers', '[[mock fault=slow-headers:5s]]', false, 300],
    ['before the first token', '[[mock ttft=5s]]', true, 300],
    ['mid-stream', '[[mock ttft=0ms tps=50]]', true, 600],
  ];
  const figures: ScenarioResult['figures'] = {};
  const lines = ['cancel      client aborts reaching the backend'];
  ctx.live.begin('cancel');
  let worst = 0;
  let missed = 0;
  for (const [name, directive, streamed, after] of phases) {
    ctx.progress(`cancel: ${name}`);
    const before = await snapshot(ctx);
    const ac = new AbortController();
    const sentAt = Date.now();
    const abortAt = sentAt + after;
    setTimeout(() => ac.abort(), after);
    const chat = { model: ctx.model, messages: [{ role: 'user', content: `cancel me ${directive}` }], max_tokens: 2000, stream: streamed };
    // In the run's API: under --api anthropic, to /v1/chat/completions it judged the path the run was not asked about, and
    // a target of Messages alone refused each request — every phase read as a backend left generating.
    const anthropic = ctx.api === 'anthropic';
    await request(`${ctx.target.url}${anthropic ? MESSAGES_PATH : '/v1/chat/completions'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(ctx) },
      body: JSON.stringify(anthropic ? messagesBody(chat) : chat),
      signal: ac.signal,
    })
      .then(async (r) => {
        for await (const _ of r.body) void _;
      })
      .catch(() => {});
    // The phase's own aborts: of its kind (streamed or not; mid-stream, after a token), so that an earlier phase's arriving
    // late is not taken for it; and one for every generation request the phase made — a gateway that sent it to two
    // backends and closed one left the other generating.
    // (Stamped after the phase began, too: a mock whose count could not be read before it has no baseline.)
    const mine = (r: AbortRecord) => r.ts >= sentAt && r.stream === streamed && (name !== 'mid-stream' || r.atToken > 0);
    let seen: AbortRecord[] = [];
    let requests = 0;
    const deadline = Date.now() + BOUND_MS * 3;
    for (;;) {
      const s = await since(ctx, before);
      requests = s.requests;
      seen = s.aborts.filter(mine);
      if ((seen.length && seen.length >= requests) || Date.now() >= deadline) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const key = name.replace(/[^a-z]+/g, '_');
    if (!seen.length || seen.length < requests) {
      missed++;
      figures[`cancel.${key}.ms`] = null;
      const why = seen.length
        ? `the backend closed ${seen.length} of the ${requests} requests it made (the rest still generating?)`
        : 'the backend never saw the client leave (still generating?)';
      lines.push(`            ${name.padEnd(24)} ${why}`);
      continue;
    }
    // The last of them to close: the backend was spared only then.
    const last = seen.reduce((a, b) => (b.ts > a.ts ? b : a));
    const ms = Math.max(0, last.ts - abortAt);
    worst = Math.max(worst, ms);
    figures[`cancel.${key}.ms`] = ms;
    const over = ms > BOUND_MS ? ' — over the bound' : '';
    lines.push(`            ${name.padEnd(24)} backend socket closed ${ms} ms after the client left (at token ${last.atToken})${over}`);
  }
  figures['cancel.worstMs'] = missed ? null : round(worst, 0);
  figures['cancel.missed'] = missed;
  return { figures, lines };
}
