/**
 * `cancel`: clients that give up — while the backend holds its headers, before the first token, and
 * mid-stream — must cost the backend nothing more: each abort has to reach the mock (its /mock/stats
 * records when its socket closed) within a bound. This is LiteLLM's best-known leak.
 */
import { request } from 'undici';
import { authHeaders, round, type BenchContext, type ScenarioResult } from './context.js';
import { sideCount, sideJson } from './side-read.js';

const BOUND_MS = 1000;

interface AbortRecord {
  ts: number;
  atToken: number;
}

async function abortsSince(ctx: BenchContext, since: number): Promise<AbortRecord[]> {
  const out: AbortRecord[] = [];
  for (const url of Object.values(ctx.target.mocks)) {
    // Bounded in time and size (side-read.ts): the scenario polls this for 3 s, and a plain fetch waited on a silent one for minutes.
    const s = (await sideJson(`${url}/mock/stats`)) as { aborted?: { recent?: unknown } } | null | undefined;
    const recent = s && typeof s === 'object' ? s.aborted?.recent : undefined;
    if (!Array.isArray(recent)) continue;
    for (const r of recent as Partial<AbortRecord>[]) {
      // Numbers only, as a count is read elsewhere: the records are what the listener wrote.
      const ts = sideCount(r?.ts);
      if (ts !== undefined && ts >= since) out.push({ ts, atToken: sideCount(r.atToken) ?? 0 });
    }
  }
  return out;
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
    const ac = new AbortController();
    const sentAt = Date.now();
    const abortAt = sentAt + after;
    setTimeout(() => ac.abort(), after);
    await request(`${ctx.target.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(ctx) },
      body: JSON.stringify({
        model: ctx.model,
        messages: [{ role: 'user', content: `cancel me ${directive}` }],
        max_tokens: 2000,
        stream: streamed,
      }),
      signal: ac.signal,
    })
      .then(async (r) => {
        for await (const _ of r.body) void _;
      })
      .catch(() => {});
    let seen: AbortRecord | undefined;
    const deadline = Date.now() + BOUND_MS * 3;
    while (!seen && Date.now() < deadline) {
      seen = (await abortsSince(ctx, sentAt))[0];
      if (!seen) await new Promise((r) => setTimeout(r, 25));
    }
    const key = name.replace(/[^a-z]+/g, '_');
    if (!seen) {
      missed++;
      figures[`cancel.${key}.ms`] = null;
      lines.push(`            ${name.padEnd(24)} the backend never saw the client leave (still generating?)`);
      continue;
    }
    const ms = Math.max(0, seen.ts - abortAt);
    worst = Math.max(worst, ms);
    figures[`cancel.${key}.ms`] = ms;
    const over = ms > BOUND_MS ? ' — over the bound' : '';
    lines.push(`            ${name.padEnd(24)} backend socket closed ${ms} ms after the client left (at token ${seen.atToken})${over}`);
  }
  figures['cancel.worstMs'] = missed ? null : round(worst, 0);
  figures['cancel.missed'] = missed;
  return { figures, lines };
}
