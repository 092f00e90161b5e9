/**
 * `split`: the realized share of each backend (read from `system_fingerprint`, so it works through any
 * gateway) against the expected weights, with 95 % Wilson intervals and a chi-square p-value; against the
 * gateway's own /aigw/stats when it is an aigw; and stickiness when the model routes by a session header.
 */
import { type Answer, answerDeadlineMs, post, chatBody } from './client.js';
import { adminHeaders, round, type BenchContext, type ScenarioResult, share } from './context.js';
import { readStatsSnapshot } from '../events/stats-snapshot.js';
import { readable } from './exchange.js';
import { label } from './record.js';
import { sideJson } from './side-read.js';
import { chiSquare, wilson } from './stats-math.js';

const MAX_REQUESTS = 4000;
/** The p-value above which the split matches the weights. */
const MATCHES = 0.01;
/** The name an answer that names no backend (no `system_fingerprint`, or a body that is not JSON) is counted under. */
const UNKNOWN = 'unknown';

/**
 * The backend that answered: the body's `system_fingerprint` when it names a backend the weights know (the mocks set it;
 * any gateway passes it on), else the one the gateway names (aigw's `x-aigw-backend`), else the fingerprint. The fingerprint alone counted every answer without one `unknown` — an
 * Anthropic backend's, which aigw translates for an OpenAI client, a vLLM server's — and read a real OpenAI backend's
 * `fp_…` as a backend's name: a right 50/50 split through aigw read "does NOT match".
 */
function answeredBy(a: Answer, known: Record<string, number> | undefined): string | undefined {
  const j = answerOf(a);
  if (!j) return undefined;
  const fingerprint = j.system_fingerprint;
  // The backend's own word first, when it names a backend the weights know (the mocks write their name): the header is the
  // gateway's word about itself, and one naming a 50/50 alternation over answers all from one backend read as a right split.
  if (typeof fingerprint === 'string' && known && Object.hasOwn(known, fingerprint)) return fingerprint;
  const header = a.headers['x-aigw-backend'];
  const raw: unknown = typeof header === 'string' && header ? header : fingerprint;
  // A name the weights know is counted whole: cut to 64 characters to print, a backend named past them (a Kubernetes
  // `namespace/name`) was counted under no weight's name — each backend 0 %, a stranger 100 %. Any other is cut to print.
  if (typeof raw === 'string' && known && Object.hasOwn(known, raw)) return raw;
  return label(raw);
}

/**
 * The answer's JSON when it is one a client reads — a whole 200, no error, a choice with a message or text — else undefined.
 * Every 200 was counted by the backend it named: a canary answering each request 200 `{"error": …}` (a relayed quota or
 * upstream failure), `{"choices": []}` or no JSON counted as the canary serving its share, and `split.p>=0.01` passed a
 * canary that answered nothing — where the load counts such a 200 failed (exchange.ts).
 */
function answerOf(a: Answer): { system_fingerprint?: unknown } | undefined {
  if (a.status !== 200 || !a.complete) return undefined;
  try {
    const j = JSON.parse(a.body.toString()) as { error?: unknown; choices?: unknown; system_fingerprint?: unknown } | null;
    return j && typeof j === 'object' && !j.error && Array.isArray(j.choices) && readable(j.choices[0]) ? j : undefined;
  } catch {
    return undefined;
  }
}

function expected(ctx: BenchContext): Record<string, number> | undefined {
  if (ctx.expect) return Object.assign(byName(), ctx.expect);
  const m = ctx.profile?.models[ctx.model];
  if (!m) return undefined;
  const out = byName();
  for (const t of m.targets) out[t.backend] = (out[t.backend] ?? 0) + t.weight;
  return out;
}

/**
 * A name → count table without a prototype: the names are the target's (its `system_fingerprint`), and on a
 * plain object `constructor` read Object's function — the counts became NaN and the chi-square passed.
 */
function byName(): Record<string, number> {
  return Object.create(null) as Record<string, number>;
}

/**
 * Whether a backend's name is one of the scenario's own figures (`split.p`, `split.requests`, …) or one's confidence
 * bound: its share under that name would stand for the figure — `--assert split.gatewayDisagreement<1` passed on any
 * target with a backend so named, where no such figure exists — so it is shown, not made a figure.
 */
function ownFigure(name: string): boolean {
  return OWN_FIGURES.has(name) || name.endsWith('.ciLow') || name.endsWith('.ciHigh');
}
const OWN_FIGURES = new Set(['requests', 'p', 'gatewayDisagreement', 'stickiness']);

/**
 * The most the gateway's own shares (/aigw/stats, read as its schema says) differ from the realized ones, in points;
 * undefined when it is not an aigw admin snapshot or a share is not one (a share of "x" or 1e308 made the figure
 * NaN or Infinity). Backends are read as own keys only: a backend named `constructor` is not Object's function.
 */
function gatewayDisagreement(
  json: unknown,
  model: string,
  names: readonly string[],
  figures: ScenarioResult['figures'],
): number | undefined {
  // Read an entry at a time: a hostile target's snapshot wrong in each of millions of entries costs one, not seconds.
  const stats = readStatsSnapshot(json);
  if (!stats.ok) return undefined;
  const m = Object.hasOwn(stats.stats.models, model) ? stats.stats.models[model]! : undefined;
  const backends = m?.backends ?? {};
  let worst = 0;
  for (const name of names) {
    const share = Object.hasOwn(backends, name) ? backends[name]!.share : 0;
    if (!(share >= 0 && share <= 1)) return undefined;
    const realized = ownFigure(name) ? undefined : figures[`split.${name}`];
    if (typeof realized === 'number') worst = Math.max(worst, Math.abs(share * 100 - realized));
  }
  return worst;
}

export async function split(ctx: BenchContext): Promise<ScenarioResult> {
  const counts = byName();
  const exp = expected(ctx);
  let n = 0;
  /** 200s that held no answer a client reads: counted by no backend. */
  let unread = 0;
  const end = Date.now() + ctx.durationMs;
  ctx.progress(`split: up to ${MAX_REQUESTS} requests for ${ctx.durationMs / 1000}s`);
  ctx.live.begin('split', ctx.durationMs);
  await Promise.all(
    Array.from({ length: Math.min(ctx.connections, 32) }, async () => {
      while (Date.now() < end && n < MAX_REQUESTS && !ctx.signal?.aborted) {
        n++;
        const r = await post(ctx, chatBody(ctx, 'which backend? [[mock ttft=0ms tps=0]]', { max_tokens: 1 }));
        if (r.status !== 200) continue;
        if (!answerOf(r)) {
          unread++;
          continue;
        }
        const by = answeredBy(r, exp) ?? UNKNOWN;
        counts[by] = (counts[by] ?? 0) + 1;
      }
    }),
  );
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const notAnswers = unread
    ? `; ${unread} answered 200 without an answer a client reads (an error body, no choice, not JSON), counted by no backend`
    : '';
  if (!total)
    return { figures: { 'split.requests': 0 }, lines: [`split       no samples: none of ${n} requests was answered 2xx${notAnswers}`] };
  // No answer named its backend (a gateway that says nothing, in front of backends with no fingerprint): each share read 0 %
  // and p 0, "does NOT match", a verdict on a split never seen. No samples, so an assertion on it fails as not measured.
  if (exp && !Object.hasOwn(exp, UNKNOWN) && (counts[UNKNOWN] ?? 0) === total) {
    const figures: ScenarioResult['figures'] = { 'split.requests': total, 'split.p': null };
    for (const name of Object.keys(exp)) if (!ownFigure(name)) figures[`split.${name}`] = null;
    return {
      figures,
      lines: [`split       ${total} answers, none of which named its backend (x-aigw-backend or system_fingerprint): no split measured`],
      detail: { counts, expected: exp, total },
    };
  }
  const names = [...new Set([...Object.keys(exp ?? {}), ...Object.keys(counts)])];
  const figures: ScenarioResult['figures'] = { 'split.requests': total };
  const lines = [`split       ${total} answers${notAnswers}`];
  const weightSum = exp ? Object.values(exp).reduce((a, b) => a + b, 0) : 0;
  for (const name of names) {
    const k = counts[name] ?? 0;
    const [lo, hi] = wilson(k, total);
    const pct = round((100 * k) / Math.max(1, total), 3);
    const want = exp && weightSum ? (100 * (exp[name] ?? 0)) / weightSum : undefined;
    // Printed to one decimal, both ends alike (the figures keep three).
    const ci = `(95% CI ${(100 * lo).toFixed(1)}–${(100 * hi).toFixed(1)}%)`;
    const expectedNote = want !== undefined ? `  expected ${round(want, 2)}%` : '';
    if (ownFigure(name)) {
      lines.push(`            ${name.padEnd(20)} ${pct}%  ${ci}${expectedNote}  (named as one of split's own figures: not a figure)`);
      continue;
    }
    figures[`split.${name}`] = pct;
    figures[`split.${name}.ciLow`] = round(100 * lo, 3);
    figures[`split.${name}.ciHigh`] = round(100 * hi, 3);
    lines.push(`            ${name.padEnd(20)} ${pct}%  ${ci}${expectedNote}`);
  }
  if (exp && total) {
    // Answers that named no backend are none of the weights' and no backend of weight 0 either (unless one is so named).
    const tested = names.filter((x) => x !== UNKNOWN || exp[x] !== undefined);
    const { p } = chiSquare(
      tested.map((x) => counts[x] ?? 0),
      tested.map((x) => exp[x] ?? 0),
      tested.length < names.length ? (counts[UNKNOWN] ?? 0) : 0,
    );
    // To 4 places, but never rounded across the verdict's 1 %: p = 0.00997 (a split that does not match) read 0.01, and
    // `--assert split.p>=0.01` passed it.
    const shown = round(p, 4);
    figures['split.p'] = shown >= MATCHES !== p >= MATCHES ? p : shown;
    lines.push(
      `            chi-square p = ${figures['split.p']} (the split ${p > MATCHES ? 'matches' : 'does NOT match'} the weights at 1%)`,
    );
  }
  if (ctx.target.admin) {
    const worst = gatewayDisagreement(
      await sideJson(`${ctx.target.admin}/aigw/stats`, { headers: adminHeaders(ctx.target) }),
      ctx.model,
      names,
      figures,
    );
    if (worst !== undefined) {
      figures['split.gatewayDisagreement'] = round(worst, 3);
      lines.push(`            the gateway's own stats differ by at most ${figures['split.gatewayDisagreement']} points`);
    }
  }
  const sticky = ctx.profile?.models[ctx.model]?.sticky?.header;
  if (sticky) {
    let same = 0;
    // Sessions whose two answers both named a backend: only those say whether it was kept.
    let sessions = 0;
    // An answer cut at its deadline ends the check: the target no longer answers, and each of the 200 requests, one
    // after the other, would wait as long (hours at any --duration).
    let stalled = false;
    for (let i = 0; i < 100 && !ctx.signal?.aborted && !stalled; i++) {
      const h = { [sticky]: `bench-session-${i}` };
      const a = await post(ctx, chatBody(ctx, 'sticky [[mock ttft=0ms tps=0]]', { max_tokens: 1 }), { headers: h });
      if (a.cutAtDeadline) {
        stalled = true;
        break;
      }
      const b = await post(ctx, chatBody(ctx, 'sticky [[mock ttft=0ms tps=0]]', { max_tokens: 1 }), { headers: h });
      stalled = b.cutAtDeadline === true;
      const first = answeredBy(a, exp);
      const second = answeredBy(b, exp);
      if (first === undefined || second === undefined) continue;
      sessions++;
      if (first === second) same++;
    }
    figures['split.stickiness'] = sessions ? share(same, sessions) : null;
    const cut = stalled ? `; stopped: an answer was still coming ${answerDeadlineMs(ctx) / 1000}s after it was asked for` : '';
    lines.push(
      sessions
        ? `            sticky by ${sticky}: ${round((100 * same) / sessions, 1)}% of ${sessions} sessions kept their backend${cut}`
        : `            sticky by ${sticky}: no session answered twice with a backend named${cut}`,
    );
  }
  return { figures, lines, detail: { counts, expected: exp, total } };
}
