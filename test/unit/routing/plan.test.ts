/**
 * The route stage without sockets: the plan over a real route table whose backends' health and connection
 * slots are driven by hand — strategies within groups of equal weight, weights between them, sticky and
 * failover order as before, panic mode, escalation and the facts each route needs, reachable prices.
 */
import { describe, expect, it, vi } from 'vitest';
import { monotonicNow } from '../../../src/core/clock.js';
import { Rng } from '../../../src/core/hash.js';
import type { ProxyRequest } from '../../../src/openai/parse-request.js';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';
import { recordAnswerHead, recordDispatch, recordFailure, recordFirstByte, recordOverload } from '../../../src/routing/feedback.js';
import { type Plan, planAttempts } from '../../../src/routing/plan.js';
import { NO_FACTS, routeRequest } from '../../../src/routing/request-facts.js';
import { buildRouteTable, type ModelRoute, type Target } from '../../../src/routing/route-table.js';
import type { RequestFacts } from '../../../src/routing/strategies/candidate.js';
import { createRoutingState } from '../../../src/routing/strategies/choose.js';
import type { BackendRuntime } from '../../../src/upstream/backends.js';
import { BackendHealth } from '../../../src/upstream/health.js';
import { ConnectionSlots } from '../../../src/upstream/slots.js';

function table(models: string, backends = ['a', 'b', 'c', 'd']) {
  const text = `version: 1\nbackends:\n${backends.map((b) => `  ${b}: { url: "http://127.0.0.1:1" }`).join('\n')}\nmodels:\n${models}\n`;
  const r = parseProfile(text, 'p.yaml', {});
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const runtimes = new Map<string, BackendRuntime>(
    backends.map((name) => [
      name,
      {
        name,
        url: `http://${name}.invalid`,
        pool: undefined as never,
        basePath: '',
        host: `${name}.invalid`,
        kind: 'openai',
        anthropicVersion: '2023-06-01',
        deployment: undefined,
        apiVersion: undefined,
        headers: [],
        health: new BackendHealth({ consecutiveFailures: 1, cooldownMs: 1000, maxCooldownMs: 1000 }),
        slots: new ConnectionSlots({ connections: 100, queue: 0, queueTimeoutMs: 0 }),
      },
    ]),
  );
  return { routes: buildRouteTable(r.profile, runtimes), backends: runtimes };
}

function chat(model: string, text: string, extra: Partial<ProxyRequest> = {}): ProxyRequest {
  const json = { model, messages: [{ role: 'user', content: text }] };
  return {
    endpoint: 'chat',
    api: 'openai',
    text: JSON.stringify(json),
    bytes: 0,
    raw: undefined,
    ascii: false,
    json,
    model,
    modelSpan: undefined as never,
    spans: new Map(),
    stream: false,
    clientIncludeUsage: false,
    maxTokens: 100,
    lengthBound: 100,
    choices: 1,
    echoesPrompt: false,
    scoresPrompt: false,
    ...extra,
  };
}

const state = createRoutingState();
const names = (p: Plan) => p.targets.map((t) => t.backend.name);
const plan = (routes: Map<string, ModelRoute>, model: string, facts: RequestFacts = NO_FACTS, headers = {}, rng = new Rng(1)) =>
  planAttempts(routes.get(model)!, routes, { headers, tenant: undefined, now: 1000, facts, state, rng });
/** The backend each of `n` requests is sent to first. */
const firsts = (n: number, pick: () => Plan) => Array.from({ length: n }, () => names(pick())[0]);
const count = (xs: (string | undefined)[]) => {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1;
  return out;
};

describe('the canary contract under every strategy', () => {
  const strategies = ['weighted', 'least-request', 'latency', 'prefix', 'cost'] as const;
  it.each(strategies)('%s: three replicas of weight 10 and a canary of weight 1 → the canary gets exactly 1 in 31', (strategy) => {
    const pricing = 'pricing: { input: 1, output: 2 }';
    const { routes } = table(`  m:
    strategy: ${strategy}
    targets:
      - { backend: a, weight: 10, ${pricing} }
      - { backend: b, weight: 10, ${pricing} }
      - { backend: c, weight: 10, ${pricing} }
      - { backend: d, weight: 1, ${pricing} }`);
    const rng = new Rng(7);
    for (let round = 0; round < 5; round++) {
      const picks = firsts(31, () => plan(routes, 'm', { ...NO_FACTS, now: 1000, maxTokens: 10 }, {}, rng));
      expect(count(picks).d).toBe(1);
    }
  });
});

describe('within a group the strategy chooses, from live backend state', () => {
  it('least-request avoids a replica whose connections are busy', () => {
    const { routes, backends } = table('  m: { strategy: least-request, targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
    for (let i = 0; i < 5; i++) backends.get('a')!.slots.acquire();
    expect(new Set(firsts(50, () => plan(routes, 'm', { ...NO_FACTS, now: 1000 })))).toEqual(new Set(['b']));
  });

  it('prefix sends a prompt where the index says its blocks are, and the dispatch feeds the index', () => {
    const { routes } = table('  m: { strategy: prefix, targets: [{ backend: a }, { backend: b }, { backend: c }] }', ['a', 'b', 'c']);
    const own = createRoutingState();
    const r = routes.get('m')!;
    const p = chat('m', 'You are a helpful assistant. '.repeat(40));
    const routed = routeRequest(r, routes, p, 256, 1000);
    expect(routed.facts.blocks.length).toBeGreaterThan(10);
    const first = planAttempts(r, routes, { headers: {}, tenant: undefined, now: 1000, facts: routed.facts, state: own, rng: new Rng(3) });
    recordDispatch(own, first.targets[0]!, routed.facts);
    for (let i = 0; i < 20; i++) {
      const again = planAttempts(r, routes, {
        headers: {},
        tenant: undefined,
        now: 1000,
        facts: routed.facts,
        state: own,
        rng: new Rng(i),
      });
      expect(again.targets[0]!.backend.name).toBe(first.targets[0]!.backend.name);
    }
  });

  it('latency leaves a replica whose first bytes came slowly', () => {
    const { routes } = table('  m: { strategy: latency, targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
    const own = createRoutingState();
    const r = routes.get('m')!;
    const [ta, tb] = r.group.targets as [Target, Target];
    expect(ta.tracksTtft).toBe(true);
    recordFirstByte(own, ta, 500);
    recordFirstByte(own, tb, 50);
    const rng = new Rng(5);
    const picks = firsts(40, () =>
      planAttempts(r, routes, { headers: {}, tenant: undefined, now: monotonicNow(), facts: NO_FACTS, state: own, rng }),
    );
    expect(picks.every((n) => n === 'b')).toBe(true);
  });

  it('a failed attempt is a penalty, never an observation: a failing replica costs more than the slowest that answers', () => {
    const { routes } = table('  m: { strategy: latency, targets: [{ backend: a }, { backend: b }, { backend: c }] }', ['a', 'b', 'c']);
    const own = createRoutingState();
    const [ta, tb, tc] = routes.get('m')!.group.targets as [Target, Target, Target];
    recordFirstByte(own, ta, 500);
    recordFirstByte(own, tb, 50);
    recordFailure(own, tb, 1, undefined);
    recordFailure(own, tc, 1, 404);
    const now = monotonicNow();
    // The fastest replica, after one failure, and one with no history that failed in a millisecond.
    expect(own.ttft.estimate(tb.id, now)).toBeGreaterThan(own.ttft.estimate(ta.id, now));
    expect(own.ttft.estimate(tc.id, now)).toBeGreaterThan(own.ttft.estimate(ta.id, now));
  });

  it("a client's bad request (400, 422) tells nothing of its replica: no penalty, no ratchet between replicas", () => {
    const { routes } = table('  m: { strategy: latency, targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
    const own = createRoutingState();
    const [ta, tb] = routes.get('m')!.group.targets as [Target, Target];
    recordFirstByte(own, ta, 50);
    recordFirstByte(own, tb, 1000);
    // Penalised, each 400 doubled the other's estimate in turn: both sat at the cap and the slow one took half.
    for (let i = 0; i < 20; i++) recordFailure(own, i % 2 ? ta : tb, 1, i % 3 ? 400 : 422);
    const now = monotonicNow();
    expect(own.ttft.estimate(ta.id, now)).toBeLessThan(100);
    expect(own.ttft.estimate(tb.id, now)).toBeLessThan(1100);
  });

  it.each([
    // 60 s of sequential requests, one every 100 ms: a answers in 40 ms, b refuses in 1 ms (a 404, a reset).
    ['while its peer answers, however long it lasts', 0],
    // a has 7 streams in flight: penalised at twice a's estimate alone (80 ms), under a's cost of 40 ms × 8, b took 598 of 600.
    ['while its busy peer answers', 7],
  ])('a replica that always fails fast gets a trickle of probes %s', (_what, inflight) => {
    // The routing clock is monotonic (performance), events' stamps wall time (Date): both advance together here.
    vi.useFakeTimers({ toFake: ['Date', 'performance'], now: 1_000_000 });
    try {
      const { routes, backends } = table('  m: { strategy: latency, targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
      const own = createRoutingState();
      const r = routes.get('m')!;
      const rng = new Rng(9);
      if (inflight > 0) {
        for (let i = 0; i < inflight; i++) backends.get('a')!.slots.acquire();
        recordFirstByte(own, r.group.targets[0]!, 40);
      }
      const sent: string[] = [];
      for (let i = 0; i < 600; i++) {
        const now = monotonicNow();
        const t = planAttempts(r, routes, { headers: {}, tenant: undefined, now, facts: { ...NO_FACTS, now }, state: own, rng })
          .targets[0]!;
        sent.push(t.backend.name);
        if (t.backend.name === 'a') recordFirstByte(own, t, 40);
        else recordFailure(own, t, 1, 404);
        vi.advanceTimersByTime(100);
      }
      const toB = sent.filter((n) => n === 'b').length;
      expect(toB).toBeGreaterThan(0);
      expect(toB / sent.length).toBeLessThan(0.1);
    } finally {
      vi.useRealTimers();
    }
  });

  /**
   * 60 s of sequential requests, one every 100 ms, 7 in flight on a: a answers non-streamed generations only (their
   * heads come after their last token), b answers 429 at once — then, from 30 s, answers as a does. a never had a
   * first token observed: before, it cost as a new replica (1e9 with requests in flight), b's penalty was twice
   * nothing, and b took 598 of the first 300 picks' worth — every request a failure first.
   */
  function nonStreamedRun(recoverAt: number) {
    vi.useFakeTimers({ toFake: ['Date', 'performance'], now: 1_000_000 });
    try {
      const { routes, backends } = table('  m: { strategy: latency, targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
      const own = createRoutingState();
      const r = routes.get('m')!;
      const rng = new Rng(9);
      for (let i = 0; i < 7; i++) backends.get('a')!.slots.acquire();
      recordAnswerHead(own, r.group.targets[0]!, 40);
      const sent: { at: number; name: string }[] = [];
      for (let at = 0; at < 60_000; at += 100) {
        const now = monotonicNow();
        const t = planAttempts(r, routes, { headers: {}, tenant: undefined, now, facts: { ...NO_FACTS, now }, state: own, rng })
          .targets[0]!;
        sent.push({ at, name: t.backend.name });
        if (t.backend.name === 'a' || at >= recoverAt) recordAnswerHead(own, t, 40);
        else recordFailure(own, t, 1, 429);
        vi.advanceTimersByTime(100);
      }
      return sent;
    } finally {
      vi.useRealTimers();
    }
  }

  it('a replica that answers 429 at once, beside one answering only non-streamed generations, gets a trickle of probes', () => {
    const toB = nonStreamedRun(Number.POSITIVE_INFINITY).filter((s) => s.name === 'b').length;
    expect(toB).toBeGreaterThan(0);
    expect(toB / 600).toBeLessThan(0.1);
  });

  it('and wins its share back within 10 s once it answers', () => {
    const sent = nonStreamedRun(30_000);
    const back = sent.find((s) => s.at >= 30_000 && s.name === 'b');
    expect(back).toBeDefined();
    expect(back!.at - 30_000).toBeLessThan(10_000);
    // a is busy (7 in flight), b idle: b takes most of the last 10 s.
    const late = sent.filter((s) => s.at >= 50_000);
    expect(late.filter((s) => s.name === 'b').length / late.length).toBeGreaterThan(0.5);
  });
});

describe('what stays as it was', () => {
  it('sticky overrides the strategy: one session, one backend', () => {
    const { routes } = table('  m: { strategy: least-request, sticky: { header: x-session }, targets: [{ backend: a }, { backend: b }] }', [
      'a',
      'b',
    ]);
    const picks = firsts(20, () => plan(routes, 'm', { ...NO_FACTS, now: 1000 }, { 'x-session': 'user-1' }));
    expect(new Set(picks).size).toBe(1);
  });

  it('fails over to the other healthy targets by weight, then to each fallback model', () => {
    const { routes } = table(
      `  m: { strategy: prefix, targets: [{ backend: a, weight: 1 }, { backend: b, weight: 5 }, { backend: c, weight: 5 }], fallbacks: [f] }
  f: { targets: [{ backend: d }] }`,
    );
    const p = plan(routes, 'm', { ...NO_FACTS, now: 1000 });
    expect(p.panic).toBe(false);
    expect(names(p)).toHaveLength(4);
    expect(names(p).at(-1)).toBe('d');
    const rest = names(p).slice(1, 3);
    if (names(p)[0] === 'a') expect(new Set(rest)).toEqual(new Set(['b', 'c']));
    else expect(rest.at(-1)).toBe('a');
  });

  it("plans a target once: a fallback's target the plan holds already (same backend and upstream model) is left out", () => {
    const { routes } = table(
      `  chat: { targets: [{ backend: a, model: llama }], fallbacks: [llama] }
  llama: { targets: [{ backend: a }, { backend: b }] }`,
    );
    for (let i = 0; i < 4; i++) {
      const p = plan(routes, 'chat');
      // Before: [a, a, b] — the fallback's rotation picked `a` again for every other request.
      expect([0, 1].map((j) => p.at(j).backend.name)).toEqual(['a', 'b']);
      expect(names(p)).toEqual(['a', 'b']);
    }
  });

  it('plans a target once in a long list too (past the scan, a set of the ids planned)', () => {
    const many = Array.from({ length: 40 }, (_, i) => `b${i}`);
    const { routes } = table(
      `  chat: { targets: [${many.map((b) => `{ backend: ${b}, model: llama }`).join(', ')}], fallbacks: [llama] }
  llama: { targets: [${many.map((b) => `{ backend: ${b} }`).join(', ')}, { backend: extra }] }`,
      [...many, 'extra'],
    );
    const p = names(plan(routes, 'chat'));
    // Every shared target once, and the fallback's own one after them.
    expect(p).toHaveLength(41);
    expect(new Set(p).size).toBe(41);
    expect(p.at(-1)).toBe('extra');
  });

  it("spreads a replica's failovers over its equals, heaviest first; a session's failovers keep one order", () => {
    const { routes } = table('  m: { targets: [{ backend: a, weight: 2 }, { backend: b }, { backend: c }, { backend: d }] }');
    const rng = new Rng(7);
    const seconds: Record<string, Record<string, number>> = {};
    for (let i = 0; i < 4000; i++) {
      const p = names(plan(routes, 'm', NO_FACTS, {}, rng));
      // a, the heaviest, comes right after the pick whatever the pick.
      if (p[0] !== 'a') expect(p[1]).toBe('a');
      const after = p[0] === 'a' ? p[1]! : p[2]!;
      (seconds[p[0]!] ??= {})[after] = (seconds[p[0]!]![after] ?? 0) + 1;
    }
    // Every pick's failovers (after a) go to each of its equals, none to one alone (list order sent them all to one).
    for (const [pick, next] of Object.entries(seconds)) {
      const equals = ['b', 'c', 'd'].filter((x) => x !== pick);
      const total = equals.reduce((n, x) => n + (next[x] ?? 0), 0);
      for (const x of equals) expect(next[x] ?? 0, `${pick} → ${x}`).toBeGreaterThan(total / equals.length / 2);
    }
    const { routes: sticky } = table(
      '  m: { sticky: { header: x-session }, targets: [{ backend: a }, { backend: b }, { backend: c }, { backend: d }] }',
    );
    const orders = new Set(Array.from({ length: 50 }, () => names(plan(sticky, 'm', NO_FACTS, { 'x-session': 'user-1' }, rng)).join()));
    expect(orders.size).toBe(1);
  });

  it("sends a session's failovers where it moves once its target leaves: a failing target's sessions spread", () => {
    const { routes, backends } = table(
      '  m: { sticky: { header: x-session }, targets: [{ backend: a }, { backend: b }, { backend: c }, { backend: d }] }',
    );
    const onA: string[] = [];
    const seconds: Record<string, number> = {};
    for (let i = 0; onA.length < 300; i++) {
      const p = names(plan(routes, 'm', NO_FACTS, { 'x-session': `s${i}` }));
      if (p[0] !== 'a') continue;
      onA.push(`s${i}`);
      seconds[p[1]!] = (seconds[p[1]!] ?? 0) + 1;
    }
    // In list order all 300 went to b, on top of its own sessions.
    for (const x of ['b', 'c', 'd']) expect(seconds[x] ?? 0, x).toBeGreaterThan(60);
    const failovers = onA.map((s) => names(plan(routes, 'm', NO_FACTS, { 'x-session': s }))[1]);
    backends.get('a')!.health.failure(1000);
    expect(onA.map((s) => names(plan(routes, 'm', NO_FACTS, { 'x-session': s }))[0])).toEqual(failovers);
  });

  it("orders a fallback's targets in the session's order too, once the request reaches it", () => {
    const { routes } = table(
      `  p: { sticky: { header: x-session }, targets: [{ backend: a }], fallbacks: [q] }
  q: { sticky: { header: x-session }, targets: [{ backend: b }, { backend: c }, { backend: d }] }`,
    );
    const seconds = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const headers = { 'x-session': `s${i}` };
      const p = plan(routes, 'p', NO_FACTS, headers);
      const reached = [p.at(1), p.at(2), p.at(3)].map((t) => t.backend.name);
      const again = plan(routes, 'p', NO_FACTS, headers);
      expect([again.at(1), again.at(2), again.at(3)].map((t) => t.backend.name)).toEqual(reached);
      seconds.add(`${reached[0]}>${reached[1]}`);
    }
    // Each pick's failover goes to either of its peers, by session (list order: always the first other).
    expect(seconds.size).toBe(6);
  });

  it('leaves ejected backends out, and ignores ejection only when every target is ejected (panic mode)', () => {
    const { routes, backends } = table('  m: { strategy: least-request, targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
    backends.get('a')!.health.failure(1000);
    expect(names(plan(routes, 'm', { ...NO_FACTS, now: 1000 }))).toEqual(['b']);
    backends.get('b')!.health.failure(1000);
    const panic = plan(routes, 'm', { ...NO_FACTS, now: 1000 });
    expect(panic.panic).toBe(true);
    expect(new Set(names(panic))).toEqual(new Set(['a', 'b']));
  });

  it('sends to a half-open backend whose probe is out rather than to an ejected one: that is no panic', () => {
    const { routes, backends } = table('  m: { strategy: least-request, targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
    const b = backends.get('b')!.health;
    b.failure(1000); // ejected until 2000
    expect(b.probe(2000)).toBeGreaterThan(0); // back, half-open: this request is its probe
    backends.get('a')!.health.failure(2000); // ejected until 3000
    const p = planAttempts(routes.get('m')!, routes, {
      headers: {},
      tenant: undefined,
      now: 2500,
      facts: NO_FACTS,
      state,
      rng: new Rng(1),
    });
    expect(p.panic).toBe(false);
    expect(names(p)).toEqual(['b']);
  });
});

describe('a fallback model is chosen from only when a request reaches it', () => {
  const profile = `  p: { targets: [{ backend: a }], fallbacks: [q] }
  q: { targets: [{ backend: b, weight: 50 }, { backend: c, weight: 50 }] }`;

  it("planning a request whose primary answers leaves the fallback's split alone: direct requests to q stay exactly 50/50", () => {
    const { routes } = table(profile, ['a', 'b', 'c']);
    const direct: string[] = [];
    for (let i = 0; i < 100; i++) {
      expect(names(plan(routes, 'p'))[0]).toBe('a');
      direct.push(names(plan(routes, 'q'))[0]!);
    }
    expect(count(direct)).toEqual({ b: 50, c: 50 });
  });

  it('requests that fail over to q take their turn in its rotation with the direct ones: exactly 50/50 together', () => {
    const { routes } = table(profile, ['a', 'b', 'c']);
    const toQ: string[] = [];
    for (let i = 0; i < 50; i++) {
      const failover = plan(routes, 'p');
      expect(names(failover)).toHaveLength(3);
      toQ.push(failover.at(1).backend.name);
      // Its other target follows, for the attempt after.
      expect(new Set([failover.at(1).backend.name, failover.at(2).backend.name])).toEqual(new Set(['b', 'c']));
      toQ.push(plan(routes, 'q').at(0).backend.name);
    }
    expect(count(toQ)).toEqual({ b: 50, c: 50 });
  });
});

describe('a fallback reached by a retry', () => {
  it('is tried at the target the availability check saw: an ejected one is skipped, never tried in its place', () => {
    // m1's only target a failed (ejected); q's targets are a and b: the retry must go to b, not to a again.
    for (let round = 0; round < 10; round++) {
      const { routes, backends } = table(
        `  m1: { targets: [{ backend: a }], fallbacks: [q] }
  q: { targets: [{ backend: a }, { backend: b }] }`,
        ['a', 'b'],
      );
      const p = plan(routes, 'm1', NO_FACTS, {}, new Rng(round));
      expect(p.at(0).backend.name).toBe('a');
      backends.get('a')!.health.failure(1000);
      // The loop asks whether each next target is available through `at`, then tries the one it found.
      let i = 1;
      while (i < p.targets.length && !p.at(i).backend.health.available(1000)) i++;
      expect(i < p.targets.length && p.at(i).backend.name).toBe('b');
    }
  });

  it("does not reach the next fallback from inside the last one: a second fallback's split stays exact", () => {
    const { routes } = table(
      `  p: { targets: [{ backend: a }], fallbacks: [f, q] }
  f: { targets: [{ backend: a }, { backend: b }] }
  q: { targets: [{ backend: c, weight: 50 }, { backend: d, weight: 50 }] }`,
    );
    const direct: string[] = [];
    for (let i = 0; i < 100; i++) {
      const failing = plan(routes, 'p');
      // Two attempts inside f (its pick, then its other target): q is not reached.
      failing.at(1);
      failing.at(2);
      direct.push(plan(routes, 'q').at(0).backend.name);
    }
    expect(count(direct)).toEqual({ c: 50, d: 50 });
  });
});

describe('the facts a route needs, and escalation', () => {
  const { routes } = table(`  small:
    strategy: cost
    targets: [{ backend: a, contextWindow: 4096, pricing: { input: 0.1, output: 0.2 } }, { backend: b, pricing: { input: 1, output: 2 } }]
    escalate: [{ when: { promptTokens: ">1000" }, model: big }]
    fallbacks: [spare]
  big: { strategy: prefix, targets: [{ backend: c, pricing: { input: 3, output: 15 } }, { backend: d }] }
  spare: { targets: [{ backend: d, pricing: { input: 0.5, cachedInput: 0.6, output: 1 } }] }
  plain: { targets: [{ backend: a }] }`);

  it('a plain weighted route needs nothing', () => {
    expect(routes.get('plain')!.needs).toEqual({ facts: false, blocks: false, promptSize: false });
  });

  it('a short prompt stays, with its size and no blocks; a long one escalates, with the blocks its prefix route needs', () => {
    const short = routeRequest(routes.get('small')!, routes, chat('small', 'hi'), 256, 5);
    expect(short).toMatchObject({ escalatedTo: undefined, facts: { now: 5, maxTokens: 100, blocks: [] } });
    expect(short.route.name).toBe('small');
    expect(short.facts.promptTokens).toBeGreaterThan(0);
    const long = routeRequest(routes.get('small')!, routes, chat('small', 'x'.repeat(8000), { maxTokens: undefined }), 256, 5);
    expect(long.escalatedTo).toBe('big');
    expect(long.route.name).toBe('big');
    expect(long.facts.maxTokens).toBe(256);
    expect(long.facts.blocks.length).toBeGreaterThan(100);
  });

  it('cost sends what fits to the cheapest target, and what does not fit to the wider one', () => {
    const r = routes.get('small')!;
    const pick = (promptTokens: number) =>
      names(
        planAttempts(r, routes, {
          headers: {},
          tenant: undefined,
          now: 0,
          facts: { now: 0, promptTokens, maxTokens: 100, blocks: [] },
          state,
          rng: new Rng(1),
        }),
      )[0];
    expect(pick(100)).toBe('a');
    expect(pick(4000)).toBe('b');
  });

  it('reachable prices cover the targets, the fallbacks and the escalations (for budget reservations)', () => {
    const prices = routes.get('small')!.reachablePrices.map((p) => `${p.input}/${p.output}`);
    expect(prices.sort()).toEqual(['0.1/0.2', '0.5/1', '1/2', '3/15']);
    expect(routes.get('plain')!.reachablePrices).toEqual([]);
  });

  it('prices that differ only in cachedInput are both kept: the dearer cached price bounds the reservation', () => {
    // Keyed by input/output alone, the second replaced the first, and a budget reserved 1 µ$ a prompt token where
    // a cache hit on `a` costs 5 (the money review).
    const { routes: r } = table(
      `  m: { targets: [{ backend: a, pricing: { input: 1, cachedInput: 5, output: 1 } }, { backend: b, pricing: { input: 1, output: 1 } }] }`,
    );
    const prices = r.get('m')!.reachablePrices;
    expect(prices.some((p) => p.cachedInput === 5)).toBe(true);
  });
});

describe('a target whose backend declared an overload (503 and a retry-after), while it cools', () => {
  const cooling = (until: number) => {
    const s = createRoutingState();
    return {
      s,
      plan: (routes: Map<string, ModelRoute>, model: string, now = 1000) =>
        planAttempts(routes.get(model)!, routes, { headers: {}, tenant: undefined, now, facts: NO_FACTS, state: s, rng: new Rng(1) }),
      until,
    };
  };

  it('goes behind its list’s others, never behind a fallback’s, and is never left out', () => {
    const { routes } = table(
      `  m: { targets: [{ backend: a, weight: 9 }, { backend: b, weight: 1 }], fallbacks: [f] }
  f: { targets: [{ backend: c, model: m }, { backend: a, model: m }] }
  one: { targets: [{ backend: a }], fallbacks: [f] }`,
    );
    const { s, plan: p } = cooling(0);
    const a = routes.get('m')!.group.targets[0]!;
    recordOverload(s, a, 503, 30_000, 1000, 60_000);
    for (let i = 0; i < 10; i++) {
      const x = p(routes, 'm');
      expect(names(x).slice(0, 2)).toEqual(['b', 'a']);
      // The same target (backend and upstream model) a fallback names too is planned once, where its own list put it:
      // the fallback adds its other target alone (trust-fallback-shared-target).
      expect(x.at(2).backend.name).toBe('c');
      expect(names(x)).toEqual(['b', 'a', 'c']);
    }
    // Its model's only target: first still, before the fallback's.
    expect(names(p(routes, 'one'))[0]).toBe('a');
    // Past the deadline, the 9:1 split again.
    expect(count(firsts(10, () => p(routes, 'm', 31_001)))).toEqual({ a: 9, b: 1 });
  });

  it('for a 503 or 529 with a retry-after only, and for resilience.maxCooldown at most', () => {
    const { routes } = table('  m: { targets: [{ backend: a }, { backend: b }] }', ['a', 'b']);
    const a = routes.get('m')!.group.targets[0]!;
    const { s, plan: p } = cooling(0);
    const aFirst = (now: number) => firsts(4, () => p(routes, 'm', now)).filter((n) => n === 'a').length;
    recordOverload(s, a, 429, 30_000, 1000, 60_000);
    recordOverload(s, a, 503, undefined, 1000, 60_000);
    recordOverload(s, a, 500, 30_000, 1000, 60_000);
    expect(aFirst(1000)).toBe(2);
    recordOverload(s, a, 529, 999_999_000, 1000, 60_000);
    expect(aFirst(1000)).toBe(0);
    expect(aFirst(60_999)).toBe(0);
    expect(aFirst(61_000)).toBe(2);
  });
});
