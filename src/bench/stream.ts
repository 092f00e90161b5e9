/**
 * `stream`: concurrent streams with the field's metrics (TTFT, TPOT, ITL, E2EL), and three checks a
 * proxy can fail: fidelity (every event the mock emitted arrives, with the text its generator says),
 * coalescing (events held back and delivered several per read — seen in the inter-token gaps and the
 * events per socket read), and added TTFT (the same streams sent straight to the backend at the same time).
 */
import { chatPromptKey, generateText } from '../mock/text.js';
import { authHeaders, type BenchContext, type Figures, fig, round, type ScenarioResult, share } from './context.js';
import { runLoad } from './driver.js';
import { chartSamples, fieldMetrics, fmtMs, metricFigures, metricLines, tallyRefusals } from './metrics.js';
import type { RequestRecord } from './record.js';
import { percentile } from './stats-math.js';
import { behindSchedule, directSkipped, directTarget, loadShape } from './throughput.js';
import { fixedSource, type Prepared } from './workload.js';

const TOKENS = 64;
const SEED = 7;
/** A stream is coalesced when at least this share of its events came held back, several to a read. */
export const COALESCED_SHARE = 0.3;

/** The fewest content events a stream needs for its grouping to say anything. */
const JUDGED_EVENTS = 4;

export function isCoalesced(r: Pick<RequestRecord, 'contentEvents' | 'heldEvents'>): boolean {
  const events = r.contentEvents ?? 0;
  return events >= JUDGED_EVENTS && (r.heldEvents ?? 0) / events >= COALESCED_SHARE;
}

const defaultStreams = (model: string) =>
  fixedSource((i) => ({
    model,
    messages: [{ role: 'user', content: `stream ${i % 97} [[mock chunk=1]]` }],
    max_tokens: TOKENS,
    seed: SEED,
  }));

const median = (xs: number[]) =>
  xs.length
    ? percentile(
        xs.sort((a, b) => a - b),
        0.5,
      )
    : undefined;

/**
 * Events received over events emitted, to 4 places — but never rounded onto 1 when it is not 1, as a share is not
 * (context.ts share): one event lost (or one too many) in a run of over ~20,000 read exactly 1, and
 * `--assert stream.fidelity==1` passed a path that drops events.
 */
function fidelity(received: number, emitted: number): number {
  const r = round(received / emitted, 4);
  return r === 1 && received !== emitted ? received / emitted : r;
}

const PROBE_PAIRS = 20;

/**
 * What the path adds before the first token, measured unloaded so the figure is the path's and not the
 * machine's: pairs of small streams, one through the target and one straight to the backend, in turn.
 * Each probe has an answer's deadline (--duration and the drain, as client.ts's answers), and the pairs stop at the
 * first probe cut at it: a target that no longer answers would cut every other probe after the same wait. Each
 * probe was a load of its own minute and the drain's, one after the other: a gateway that stopped answering held the
 * stream scenario 20 × 2 minutes, 40 minutes for a --duration of 10s.
 */
async function addedTtft(ctx: BenchContext, direct: { url: string; model: string }) {
  const one = async (url: string, model: string, headers: Record<string, string>, api?: BenchContext['api']) => {
    const content = 'first token [[mock ttft=0ms chunk=1]]';
    const body = { model, messages: [{ role: 'user', content }], max_tokens: 4 };
    const r = await runLoad({
      url,
      api,
      headers,
      source: fixedSource(() => body),
      stream: true,
      durationMs: ctx.durationMs,
      drainMs: ctx.drainMs,
      connections: 1,
      maxRequests: 1,
      signal: ctx.signal,
    });
    const rec = r.records[0];
    return { ttft: rec?.ok && rec.ttft !== undefined ? rec.ttft : undefined, stalled: rec?.code === 'cut_at_deadline' };
  };
  ctx.progress(`stream: added TTFT, ${PROBE_PAIRS} pairs through the path and straight to ${direct.url}`);
  const diffs: number[] = [];
  const directs: number[] = [];
  let stalled: string | undefined;
  for (let i = 0; i < PROBE_PAIRS && !ctx.signal?.aborted; i++) {
    const via = await one(ctx.target.url, ctx.model, authHeaders(ctx), ctx.api);
    if (via.stalled) {
      stalled = ctx.target.url;
      break;
    }
    const straight = await one(direct.url, direct.model, {});
    if (straight.stalled) {
      stalled = direct.url;
      break;
    }
    if (straight.ttft !== undefined) directs.push(straight.ttft);
    if (via.ttft !== undefined && straight.ttft !== undefined) diffs.push(via.ttft - straight.ttft);
  }
  return { added: median(diffs), direct: median(directs), pairs: diffs.length, stalled };
}

export async function streamScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const conns = Math.max(1, Math.min(ctx.connections, 16));
  const own = !ctx.workload;
  const source = (model: string) => ctx.workload?.source(model) ?? defaultStreams(model);
  ctx.progress(`stream: ${loadShape(ctx, conns)} for ${ctx.durationMs / 1000}s`);
  ctx.live.begin('stream', ctx.durationMs);
  let faithful = 0;
  let corrupted = 0;
  const check = (r: RequestRecord, req: Prepared) => {
    if (!own || !r.ok) return;
    // Anthropic's API has no seed: through it, the mocks' text is the unseeded one.
    const seed = ctx.api === 'anthropic' ? undefined : SEED;
    const want = generateText(chatPromptKey(req.body.messages as { role: string; content: string }[]), seed, TOKENS);
    if (r.text === want && r.contentEvents === TOKENS) faithful++;
    else if (r.text !== want) corrupted++;
  };
  const gw = await runLoad({
    durationMs: ctx.durationMs,
    drainMs: ctx.drainMs,
    rate: ctx.rate,
    burstiness: ctx.burstiness,
    stream: true,
    connections: conns,
    url: ctx.target.url,
    api: ctx.api,
    headers: authHeaders(ctx),
    source: source(ctx.model),
    keepText: own,
    pacer: ctx.pacer,
    live: ctx.live,
    onRecord: check,
    signal: ctx.signal,
  });
  const direct = directTarget(ctx);
  const probe = direct && !ctx.signal?.aborted ? await addedTtft(ctx, direct) : undefined;
  const m = fieldMetrics(gw.records, gw.durationMs, ctx.slo, true);
  const done = gw.records.filter((r) => r.ok);
  const events = done.reduce((a, r) => a + (r.contentEvents ?? 0), 0);
  const reads = done.reduce((a, r) => a + (r.contentReads ?? 0), 0);
  const held = done.reduce((a, r) => a + (r.heldEvents ?? 0), 0);
  // Judged among the streams with events enough to be judged: with none (every stream failed, or each came as one event,
  // as a path that buffers the answer and sends its text at once makes it), 0 of 0 passed `stream.coalesced==0`.
  const judged = done.filter((r) => (r.contentEvents ?? 0) >= JUDGED_EVENTS).length;
  const coalesced = judged ? done.filter(isCoalesced).length : null;
  const rates = done.flatMap((r) => {
    // From the first content event to the last: the gaps kept may be a sample of them (itl-budget.ts).
    const span = r.lastContent !== undefined && r.ttft !== undefined ? r.lastContent - r.ttft : 0;
    return (r.contentEvents ?? 0) > 1 && span > 0 ? [((r.contentEvents! - 1) * 1000) / span] : [];
  });
  const figures: Figures = {
    ...metricFigures('stream', m),
    // The first cut's names, kept for --assert and --compare.
    'stream.count': m.completed,
    'ttft.p50': fig(m.ttft?.median),
    'ttft.p99': fig(m.ttft?.p99),
    'itl.p50': fig(m.itl?.median),
    'itl.p99': fig(m.itl?.p99),
    'stream.tokensPerSecond': fig(median(rates), 1),
    'stream.eventsPerRead': reads ? round(events / reads, 3) : null,
    'stream.heldShare': events ? share(held, events) : null,
    'stream.coalesced': coalesced,
  };
  if (own) {
    figures['stream.fidelity'] = done.length ? fidelity(events, done.length * TOKENS) : null;
    figures['stream.faithful'] = done.length ? share(faithful, done.length) : null;
    figures['stream.corrupted'] = done.length ? corrupted : null;
  }
  if (probe) {
    figures['direct.ttft.p50'] = fig(probe.direct);
    figures['stream.addedTtft'] = fig(probe.added);
  }
  const lines = [...metricLines('stream', m, tallyRefusals(gw.records))];
  const heldShare = `${figures['stream.heldShare'] === null ? 'n/a' : `${((figures['stream.heldShare'] as number) * 100).toFixed(1)}%`} of events`;
  lines.push(
    `            ${figures['stream.eventsPerRead'] ?? 'n/a'} events per read; ` +
      (coalesced === null
        ? `coalescing: no samples (${done.length ? `no stream had ${JUDGED_EVENTS} content events or more` : 'no stream completed'})`
        : `${coalesced} of ${judged} streams coalesced (${heldShare} held back ≥ 20 ms and delivered several per read)`),
  );
  if (own && done.length)
    lines.push(
      `            events received/emitted ${((figures['stream.fidelity'] as number) * 100).toFixed(2)}%, ` +
        `streams byte-exact ${((figures['stream.faithful'] as number) * 100).toFixed(1)}%, corrupted ${corrupted}`,
    );
  if (probe) {
    const stopped = probe.stalled ? `; stopped: a probe to ${probe.stalled} was cut at its deadline` : '';
    lines.push(
      probe.added === undefined
        ? `            added TTFT vs direct: no samples (${probe.pairs} pairs answered${stopped})`
        : `            added TTFT: ${fmtMs(probe.added)} (median of ${probe.pairs} unloaded pairs, through the path and straight to ` +
            `${direct!.url}, whose own TTFT was ${fmtMs(probe.direct)}${stopped})`,
    );
  }
  const skippedDirect = directSkipped(ctx);
  if (skippedDirect) lines.push(`            added TTFT: ${skippedDirect}`);
  lines.push(...behindSchedule(ctx, gw), ...gw.skipped.map((s) => `            not sent: ${s}`));
  return { figures, lines, metrics: m, refusals: tallyRefusals(gw.records), detail: { samples: chartSamples(gw.records) } };
}
