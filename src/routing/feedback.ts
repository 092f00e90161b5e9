/**
 * What the attempt stage tells the routing state about one attempt: the prompt blocks a target was sent
 * (its prefix cache now probably holds them) and how long it took to its first byte. Kept here so the
 * gateway calls two functions and never reaches into the state's parts.
 */
import { monotonicNow } from '../core/clock.js';
import type { Target } from './route-table.js';
import type { RequestFacts } from './strategies/candidate.js';
import type { RoutingState } from './strategies/choose.js';

/**
 * A failed attempt costs at least this many times the dearest of its replicas — estimate × (in flight + 1), as
 * `latency` compares them: strictly more, so a replica that keeps failing is tried again only once its estimate has
 * decayed below their cost — after about τ·ln 2 (3.5 s) — rather than tying with them and taking half the traffic.
 * Twice their estimate alone was not enough: a replica failing at once has nothing in flight, and against a peer with
 * 7 streams in flight (cost 8 × its estimate) it won 598 of 600 picks, under load every request a failure first.
 */
export const FAILURE_FACTOR = 2;
/**
 * The most a failure's penalty may reach (ms): when every replica fails (a client's bad requests refused by
 * all), each failure would otherwise double the last one's, without bound. From here to a 1 s estimate: τ·ln 60 ≈ 20 s.
 */
export const FAILURE_PENALTY_CAP_MS = 60_000;

/** On dispatch: the target holds the prompt's blocks now (a no-op unless the route computed them). */
export function recordDispatch(state: RoutingState, target: Target, facts: RequestFacts): void {
  if (facts.blocks.length > 0) state.prefix.record(target.id, facts.blocks);
}

/** A first byte of a 2xx answer `ms` after dispatch: the only observation that may lower an estimate. */
export function recordFirstByte(state: RoutingState, target: Target, ms: number): void {
  state.ttft.observe(target.id, ms, monotonicNow());
}

/**
 * Answers at most this many tokens long have their head read as their first token: at 20–50 ms a token the rest
 * adds no more than a TTFT's own noise (a probe asks for 1).
 */
export const HEAD_AS_FIRST_TOKEN_MAX = 4;

/**
 * Embedding requests of at most this many bytes have their head read as their first token: a query's few sentences
 * (~1,000 tokens, embedded in milliseconds on a GPU). A larger one is a batch whose size the client chooses.
 */
export const EMBEDDING_HEAD_MAX_BYTES = 4096;

/** What firstTokenAtHead reads of a request. */
export interface AnswerShape {
  endpoint: string;
  /** The request body's size: an embedding's work. */
  bytes: number;
  stream: boolean;
  /**
   * The length every backend holds the answer to (ProxyRequest.lengthBound; undefined: as long as the backend likes —
   * max_completion_tokens alone is that on a backend that reads max_tokens alone).
   */
  lengthBound: number | undefined;
  /** Answers generated (n, best_of, prompts). */
  choices: number;
}

/**
 * Whether a 2xx answer's first byte is its first token's time. A stream's is, and a token count's head is all the work
 * there is. A non-streamed generation's head comes once the whole answer is written: its time is the replica's time to
 * first token plus the answer's length, which the client chooses — one answer of 400 tokens read as a TTFT set a
 * healthy replica's estimate to seconds at once (peak EWMA) and sent every other request to its peers for ~30 s, and
 * a client repeating it kept traffic on a slower replica. Only a short one is read as a TTFT. So with an embedding,
 * whose head comes once its every input is embedded: a batch of 1,000 inputs read as one did the same, and one that
 * outlasted timeouts.firstByte counted toward its backend's ejection at every target (attempts.ts lengthTimed).
 */
export function firstTokenAtHead(p: AnswerShape): boolean {
  if (p.stream || p.endpoint === 'count_tokens') return true;
  if (p.endpoint === 'embeddings') return p.bytes <= EMBEDDING_HEAD_MAX_BYTES;
  return p.lengthBound !== undefined && p.lengthBound * p.choices <= HEAD_AS_FIRST_TOKEN_MAX;
}

/**
 * Requests of at most this many bytes have their first token read as their replica's time to first token: a chat's
 * system prompt and turns (~4,000 tokens, prefilled in well under a second on a GPU), as much as the prefix index hashes.
 */
export const PROMPT_MEASURE_MAX_BYTES = 16 * 1024;

/**
 * Whether an answer's first token (firstTokenAtHead) measures its replica. It comes after the backend read the whole
 * prompt, whose length the client chooses, as it chooses a non-streamed answer's: one 200 KiB prompt read as a time to
 * first token set the quickest replica's estimate to its prefill at once (a peak), and every client's streams went to a
 * replica 30× slower while it decayed — a client repeating it kept them there. A longer one is a bound, as a
 * non-streamed answer's head is (recordAnswerHead): it may lower an estimate, never raise it.
 */
export function firstTokenMeasures(p: AnswerShape): boolean {
  return firstTokenAtHead(p) && p.bytes <= PROMPT_MEASURE_MAX_BYTES;
}

/**
 * A non-streamed generation's head `ms` after dispatch (firstTokenAtHead false): its first token came no later, so
 * it may lower the replica's estimate but never raise it — that is for streams, short answers and failures — except
 * of a replica no first token was observed of, whose estimate it is until one is (PeakEwma.answerHead).
 */
export function recordAnswerHead(state: RoutingState, target: Target, ms: number): void {
  state.ttft.answerHead(target.id, ms, monotonicNow());
}

/**
 * Whether a failed attempt is the replica's doing: no answer (a refused or reset connection, a timeout, an
 * unreadable answer; `status` undefined), a 5xx, 429, 401/403, a 3xx, or 404 (vLLM's answer for a model it does not
 * serve). Other 4xx (400, 413, 422 — a prompt over the context, a bad parameter) are the client's request.
 */
export function replicaAtFault(status: number | undefined): boolean {
  return (
    status === undefined ||
    status >= 500 ||
    status === 429 ||
    status === 404 ||
    status === 401 ||
    status === 403 ||
    // A redirect (classify.ts statusFailsOver): a misconfigured replica, answering in a millisecond.
    (status >= 300 && status < 400)
  );
}

/**
 * A failed attempt `ms` after dispatch. When the replica is at fault it is a penalty, not an observation: a
 * refused connection or a 404 comes back in a millisecond, and a dead or misconfigured replica must not look
 * like the quickest. So it costs the most of its own time, its estimate, and twice the dearest cost among its
 * replicas (FAILURE_FACTOR, capped): never quicker than a replica that answers. A client's bad request (400, 422) tells
 * nothing of its replica: penalised, 1 % of them doubled the replicas' estimates in turn up to the cap and
 * the slow replica took half the traffic. A replica that refuses every request with 400 is not told apart.
 */
export function recordFailure(state: RoutingState, target: Target, ms: number, status: number | undefined): void {
  if (!replicaAtFault(status)) return;
  const now = monotonicNow();
  let dearest = 0;
  for (const r of target.replicas) if (r.id !== target.id) dearest = Math.max(dearest, state.ttft.estimate(r.id, now) * (r.inflight + 1));
  const penalty = Math.min(FAILURE_PENALTY_CAP_MS, FAILURE_FACTOR * dearest);
  state.ttft.penalise(target.id, Math.max(ms, state.ttft.estimate(target.id, now), penalty), now);
}

/** `target` answered a request for `endpoint` (a committed answer): the path is there on its backend. */
export function recordServed(target: Target, endpoint: string): void {
  if (target.served?.has(endpoint) !== true) (target.served ??= new Set()).add(endpoint);
}

/**
 * Whether a 404 or 405 for the path (a failure the client picks: the endpoint) is the replica's own: a peer of its list
 * serves the path. Excused whatever, a replica whose URL lost a prefix its peers have (an ingress that dropped its route)
 * answered every request 404 at once, counted toward nothing, and kept the first attempt of 19 streams in 20.
 */
export function pathServedByPeer(target: Target, endpoint: string): boolean {
  for (const r of target.replicas) if (r !== target && r.served?.has(endpoint) === true) return true;
  return false;
}

/** The statuses by which a backend says it is itself overloaded (Anthropic's 529 is its 503). */
const DECLARED_OVERLOAD: ReadonlySet<number> = new Set([503, 529]);

/**
 * A failed attempt's status and retry-after (ms): a backend that declared an overload with a wait — 503 or 529 with a
 * retry-after — cools until then, at most `capMs` (resilience.maxCooldown: a retry-after of 999999 s parked a target
 * for 11 days), and the plan puts it behind its peers meanwhile. A 429 moves no traffic: it may be one tenant's doing.
 */
export function recordOverload(
  state: RoutingState,
  target: Target,
  status: number | undefined,
  retryAfterMs: number | undefined,
  now: number,
  capMs: number,
): void {
  if (status === undefined || !DECLARED_OVERLOAD.has(status) || !(retryAfterMs !== undefined && retryAfterMs > 0)) return;
  state.cooling.note(target.id, now + Math.min(retryAfterMs, capMs), now);
}
