/**
 * The load generator behind throughput, stream and ramp: a closed loop (N requests always in flight) or
 * an open loop (arrivals at a rate, Poisson or gamma-bursty, whatever the answers do), over one undici
 * Pool per target, each request paced under the target's limits and fed to the live view.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Pool } from 'undici';
import { type BenchApi, MESSAGES_PATH, messagesBody } from './anthropic-api.js';
import { arrivalGaps } from './arrivals.js';
import { BenchExchange } from './exchange.js';
import { ItlBudget } from './itl-budget.js';
import type { LiveFeed } from './live.js';
import type { Pacer } from './pacer.js';
import type { RequestRecord } from './record.js';
import type { Prepared, RequestSource } from './workload.js';
import { MAX_TIMER_MS, timerDelay } from '../core/timer-delay.js';

export interface LoadPlan {
  /** Origin of the target (gateway or backend). */
  url: string;
  path?: string;
  /** The API spoken (`--api anthropic`: Messages, read back as chat); undefined: OpenAI's. */
  api?: BenchApi | undefined;
  headers: Record<string, string>;
  source: RequestSource;
  stream: boolean;
  durationMs: number;
  /** Closed loop: requests in flight. Open loop: the most in flight before arrivals queue in the client. */
  connections: number;
  /** Open loop at this many requests/s; undefined for the closed loop. */
  rate?: number | undefined;
  burstiness?: number;
  seed?: number;
  maxRequests?: number;
  keepText?: boolean;
  pacer?: Pacer | undefined;
  live?: LiveFeed | undefined;
  /** Called for every record (the scenario's own checks), with the request that produced it. */
  onRecord?(r: RequestRecord, req: Prepared): void;
  /**
   * The run was interrupted (Ctrl-C): nothing more is sent, and what is in flight is cut and left out of the
   * records (an answer the bench stopped reading says nothing of the target).
   */
  signal?: AbortSignal | undefined;
  /** How long answers may still run once the last request was sent; then they are cut (default DRAIN_MS). */
  drainMs?: number;
  /** The most inter-token gaps the run's records keep (itl-budget.ts; default MAX_RUN_ITL). */
  maxItlSamples?: number;
}

export interface LoadResult {
  records: RequestRecord[];
  /** From the first request to the last answer. */
  durationMs: number;
  /** Requests the pacer held back because they can never fit the key's budget. */
  skipped: string[];
  /**
   * Open loop: arrivals scheduled, those that found no request ready (every turn waiting for its answer),
   * and how far the client fell behind its schedule (ms).
   */
  arrivals: number;
  idle: number;
  lagMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A base URL as a pool's origin and the path the requests go under, as the scenarios' single requests join it
 * (`${url}/v1/chat/completions`) and aigw joins a backend's: an OpenAI-compatible base URL may have a path
 * (`https://host/api/v1` is read as `https://host/api`), and undici's Pool takes an origin only — given the URL,
 * it threw 'invalid url' out of throughput, and the run ended with no report.
 */
export function splitBaseUrl(url: string): { origin: string; basePath: string } {
  const u = new URL(url);
  return { origin: u.origin, basePath: u.pathname.replace(/\/+$/, '') };
}

/**
 * A request still unanswered this long after the run stopped sending is cut, recorded as `cut_at_deadline`:
 * a target that never ends a stream (or never answers) must not keep the bench running for ever.
 */
export const DRAIN_MS = 60_000;

/** The code an exchange cut by an interrupt ends with; such a request is not recorded. */
const INTERRUPTED = 'interrupted';

/** Open loop without a bound would exhaust the client; beyond this, arrivals wait in undici's queue. */
const OPEN_LOOP_CONNECTIONS = 512;

/**
 * Arrivals an open loop holds unanswered beyond its connections (queued in the client, each with its body): past it
 * the next arrival waits for an answer, and the lag says the client could not offer the rate. Without it a rate
 * the target (or the client) cannot keep queued every arrival of the run: --rate 1e6 for 10 s, ten million bodies.
 */
export const MAX_OPEN_LOOP_QUEUE = 10_000;

/**
 * How long an open loop that is behind its schedule sends without letting the event loop run: sending every arrival
 * already due in one go held it for the whole run at a rate the client could not keep (nothing reached the wire,
 * no answer was read, Ctrl-C went unheard until the deadline).
 */
const MAX_SEND_SLICE_MS = 10;

export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const connections = plan.rate ? Math.max(plan.connections, OPEN_LOOP_CONNECTIONS) : plan.connections;
  const { origin: target, basePath } = splitBaseUrl(plan.url);
  const pool = new Pool(target, { connections, headersTimeout: 300_000, bodyTimeout: 300_000, keepAliveTimeout: 4000 });
  const origin = performance.now();
  const records: RequestRecord[] = [];
  const itl = new ItlBudget(plan.maxItlSamples);
  const skipped: string[] = [];
  const deadline = origin + plan.durationMs;
  const max = plan.maxRequests ?? Number.POSITIVE_INFINITY;
  let sent = 0;
  let arrivals = 0;
  let idle = 0;
  let lagMs = 0;
  let lastEnd = origin;
  const open = () => performance.now() < deadline && sent < max && !plan.signal?.aborted;
  const live = new Set<BenchExchange>();
  // The run sends until `deadline`; what is still running DRAIN_MS later is cut (a request waiting for its
  // answer never gets back to the loop, so this is a timer, not a check in the loop).
  let cutting = false;
  const drain = setTimeout(
    () => {
      cutting = true;
      for (const x of live) x.cut('cut_at_deadline');
      // Requests still queued in the pool (no connection yet) fail with the pool: their records say why.
      void pool.destroy(new Error('cut_at_deadline')).catch(() => {});
    },
    // setTimeout holds at most 2^31 − 1 ms (24.8 days); a longer run is not cut early by an overflow.
    timerDelay(plan.durationMs + (plan.drainMs ?? DRAIN_MS)),
  );
  const interrupt = () => {
    for (const x of live) x.cut(INTERRUPTED);
    // Requests still queued in the pool would each open a connection only to be aborted: they fail with it.
    void pool.destroy(new Error(INTERRUPTED)).catch(() => {});
  };
  /** A wait the interrupt ends early. */
  const pause = (ms: number) => delay(ms, undefined, { signal: plan.signal }).catch(() => {});
  plan.signal?.addEventListener('abort', interrupt, { once: true });
  /** Sends one request; false when the pacer held it back (it can never fit the key's budget). */
  const one = async (req: Prepared): Promise<boolean> => {
    const admission = plan.pacer ? await plan.pacer.acquire(req.cost, deadline, plan.signal) : undefined;
    if (admission && !admission.ok) {
      if (!admission.late && !skipped.includes(admission.reason) && skipped.length < 5) skipped.push(admission.reason);
      req.answered?.(false, undefined);
      return false;
    }
    const anthropic = plan.api === 'anthropic';
    const chat = plan.stream ? { ...req.body, stream: true, stream_options: { include_usage: true } } : req.body;
    const body = JSON.stringify(anthropic ? messagesBody(chat) : chat);
    let exchange!: BenchExchange;
    const r = await new Promise<RequestRecord>((done) => {
      const keepText = !!(plan.keepText || req.wantsText);
      exchange = new BenchExchange({
        stream: plan.stream,
        keepText,
        origin,
        done: (r) => {
          live.delete(exchange);
          done(r);
        },
        anthropic,
      });
      live.add(exchange);
      if (cutting) exchange.cut('cut_at_deadline');
      else if (plan.signal?.aborted) exchange.cut(INTERRUPTED);
      pool.dispatch(
        {
          path: basePath + (plan.path ?? (anthropic ? MESSAGES_PATH : '/v1/chat/completions')),
          method: 'POST',
          headers: { 'content-type': 'application/json', ...plan.headers },
          body,
        },
        exchange,
      );
    });
    // Cut by the interrupt, not answered: neither the pacer nor the figures hear of it. (A target's own error
    // code, whatever it says, is never mistaken for it.)
    const cutHere = exchange.cutBy === INTERRUPTED;
    if (!cutHere) plan.pacer?.observe(r);
    // The limit headers are the pacer's, read just now. Kept in the records, each held every `x-ratelimit-*` header its
    // answer carried for the rest of the scenario: a target sending 12 KiB of them grew the bench ~25 KB an answer.
    r.limits = undefined;
    // Released after observe: the pacer reads a concurrency refusal against what was in flight with it.
    if (admission?.ok) admission.release();
    if (cutHere) {
      req.answered?.(false, undefined);
      return true;
    }
    records.push(r);
    itl.take(r);
    lastEnd = Math.max(lastEnd, performance.now());
    plan.live?.record(r);
    plan.onRecord?.(r, req);
    req.answered?.(r.ok, r.text);
    // The text is for those two: left in the records, every answer's stayed until the scenario ended — a target
    // answering each stream with a long text grew the bench by it, request after request.
    delete r.text;
    return true;
  };

  try {
    if (plan.rate) {
      const gap = arrivalGaps(plan.rate, plan.burstiness ?? 1, plan.seed ?? 1);
      const inflight = new Set<Promise<void>>();
      const maxPending = connections + MAX_OPEN_LOOP_QUEUE;
      /** Wakes the loop waiting for room among the pending arrivals. */
      let room: (() => void) | undefined;
      let at = origin;
      let sliceStart = performance.now();
      while (open()) {
        const wait = at - performance.now();
        if (wait > 0) {
          // Never past the run's end (a rate of 0.001/s waited ~17 minutes for its next arrival after a 10 s run),
          // nor past what a timer holds (beyond 2^31 − 1 ms one fires after 1 ms: --rate 1e-8 sent ~1,000/s).
          const left = deadline - performance.now();
          if (wait > left || wait > MAX_TIMER_MS) {
            await pause(timerDelay(Math.min(wait, left)));
            continue;
          }
          await pause(wait);
          sliceStart = performance.now();
          if (!open()) break;
        } else if (performance.now() - sliceStart > MAX_SEND_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          sliceStart = performance.now();
          continue;
        }
        if (inflight.size >= maxPending) {
          await new Promise<void>((r) => (room = r));
          room = undefined;
          continue;
        }
        arrivals++;
        lagMs = Math.max(lagMs, performance.now() - at);
        const req = plan.source.next();
        if (!req) idle++;
        else {
          sent++;
          const settled = () => {
            inflight.delete(p);
            room?.();
          };
          const p: Promise<void> = one(req).then(settled, settled);
          inflight.add(p);
        }
        at += gap();
      }
      // Arrivals due before the end and never sent (the loop was waiting for room): the client was that far behind.
      if (at < deadline) lagMs = Math.max(lagMs, Math.min(performance.now(), deadline) - at);
      await Promise.all(inflight);
    } else {
      await Promise.all(
        Array.from({ length: plan.connections }, async () => {
          while (open()) {
            const req = plan.source.next();
            if (!req) {
              await sleep(5);
              continue;
            }
            sent++;
            if (!(await one(req)) && open()) await sleep(10);
          }
        }),
      );
    }
  } finally {
    clearTimeout(drain);
    plan.signal?.removeEventListener('abort', interrupt);
    await pool.close().catch(() => {});
  }
  return { records, durationMs: Math.max(1, lastEnd - origin), skipped, arrivals, idle, lagMs };
}
