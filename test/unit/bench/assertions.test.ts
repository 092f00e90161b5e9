import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { share } from '../../../src/bench/context.js';
import { compare, type BenchReport, interruption, parseReport } from '../../../src/bench/report.js';
import { chiSquare, chiSquareP, wilson } from '../../../src/bench/stats-math.js';

const figures = {
  'throughput.p99': 640,
  'throughput.errors': 0.0004,
  'long.truncations': 0,
  'split.v2': 5.4,
  'overhead.p50': 0.31,
  'ratelimit.ratio': 0.97,
};

/** An expression as the bench reads it (with the flags), then judged against the run's figures. */
function check(expr: string, f: Record<string, number>) {
  const a = parseAssertion(expr);
  if (!a.ok) throw new Error(a.message);
  return evaluate(a.value, f);
}

describe('--assert', () => {
  it.each([
    ['p99<800ms', true],
    ['p99<0.5s', false],
    ['truncations==0', true],
    ['split.v2=5±1', true],
    ['split.v2=5±0.2', false],
    ['errors<0.1%', true],
    ['errors<0.01%', false],
    ['overhead.p50<0.5ms', true],
    ['ratelimit.ratio>=0.95', true],
  ])('%s → %s', (expr, ok) => expect(check(expr, figures).ok).toBe(ok));

  it.each([
    ['latency.latency.recoveryMs<=10s', { 'latency.latency.recoveryMs': 1000 }, 'ok   latency.latency.recoveryMs<=10s (measured 1s)'],
    ['latency.latency.avoidMs<=5s', { 'latency.latency.avoidMs': 250 }, 'ok   latency.latency.avoidMs<=5s (measured 0.250s)'],
    ['p99<0.5s', figures, 'FAIL p99<0.5s (measured 0.640s)'],
    ['p99<800ms', figures, 'ok   p99<800ms (measured 640ms)'],
    ['errors<0.1%', figures, 'ok   errors<0.1% (measured 0.040%)'],
  ])("%s prints the measured figure in the bound's unit", (expr, f, message) => expect(check(expr, f).message).toBe(message));

  it.each([
    ['split.p>=1%', { 'split.p': 0.4 }, true],
    ['split.p>=1%', { 'split.p': 0.004 }, false],
    ['split.stickiness>=99%', { 'split.stickiness': 1 }, true],
    ['split.stickiness>=99%', { 'split.stickiness': 0.5 }, false],
    ['split.v2=5±1%', { 'split.v2': 5.4 }, true],
    ['split.v2.ciHigh<10%', { 'split.v2.ciHigh': 6.8 }, true],
    ['split.gatewayDisagreement<1%', { 'split.gatewayDisagreement': 0.3 }, true],
  ])(
    "reads split's fractions (p, stickiness) as fractions and its shares as percentages against a percent bound: %s on %o → %s",
    (expr, f, ok) => expect(check(expr, f).ok).toBe(ok),
  );

  it('names an unknown figure once the run has measured what it could', () => {
    expect(check('nope<1', figures).message).toContain('no figure "nope"');
  });

  it.each(['split.p!=0.5', 'split.p<0.01', 'split.p>=0.01', 'split.p==0'])(
    'fails %s against a figure that is NaN, whatever the bound',
    (expr) => {
      expect(check(expr, { 'split.p': Number.NaN })).toMatchObject({ ok: false, message: expect.stringContaining('not a number') });
    },
  );

  it.each([
    [' p99 < 800 ms ', true],
    ['split.v2 = 5 ± 1', true],
    ['errors < 0.1 %', true],
    ['split.v2=5 ±0.2', false],
  ])('reads "%s" with blanks between its parts → %s', (expr, ok) => expect(check(expr, figures).ok).toBe(ok));

  it('refuses an expression with a long run of blanks at once (it backtracked for minutes)', () => {
    for (const blanks of [' '.repeat(100_000), '\t'.repeat(100_000)]) {
      const t0 = performance.now();
      expect(parseAssertion(`p99<1${blanks}x`).ok).toBe(false);
      expect(parseAssertion(`p99<1${blanks}ms${blanks}±${blanks}x`).ok).toBe(false);
      expect(performance.now() - t0).toBeLessThan(500);
    }
  });

  it.each(['p99 is fine', 'p99<<3', 'p99<1.2.3ms', 'split.v2=5±1..2', ''])('refuses to read "%s", before any figure exists', (expr) => {
    expect(parseAssertion(expr)).toEqual({ ok: false, message: expect.stringContaining(`--assert: cannot read "${expr}"`) });
  });
});

describe('statistics', () => {
  it('Wilson interval and chi-square p match known values', () => {
    const [lo, hi] = wilson(50, 1000);
    expect(lo).toBeCloseTo(0.0381, 3);
    expect(hi).toBeCloseTo(0.0653, 3);
    expect(chiSquareP(3.841, 1)).toBeCloseTo(0.05, 3);
  });

  it('gives p = 0 when answers come from a backend no weight expects, however few', () => {
    // 4 % of the answers from a weight-0 backend: left out of the sum, it passed at p = 0.45.
    expect(chiSquare([480, 480, 40], [50, 50, 0]).p).toBe(0);
    expect(chiSquare([499, 500, 1], [50, 50, 0]).p).toBe(0);
    // A weight-0 backend that got nothing is no degree of freedom: the same p as without it.
    expect(chiSquare([480, 520, 0], [50, 50, 0]).p).toBeCloseTo(chiSquare([480, 520], [50, 50]).p, 10);
    expect(chiSquare([480, 520], [50, 50]).p).toBeCloseTo(0.2059, 3);
    // Answers that named no backend weigh against the fit (in the total), and are no category: not p = 0.
    expect(chiSquare([475, 475], [50, 50], 50).p).toBeCloseTo(0.1138, 3);
  });

  it('gives p = 0, not NaN, far in the tail (4,000 answers split 50/50 where 95/5 was expected)', () => {
    expect(chiSquare([2000, 2000], [95, 5]).p).toBe(0);
    for (const stat of [1500, 4000, 1e6]) for (const k of [1, 2, 5]) expect(chiSquareP(stat, k)).toBe(0);
  });
});

describe('a share of failures near 0 (or of successes near 1)', () => {
  it('is never rounded onto 0 or 1 when it is neither: one failure in 300,000 requests fails errors==0', () => {
    const errors = share(1, 300_000, 5);
    expect(errors).toBeGreaterThan(0);
    const v = check('errors==0', { 'throughput.errors': errors });
    expect(v.ok).toBe(false);
    expect(v.message).toBe('FAIL errors==0 (measured 0.00000333)');
    expect(check('stream.faithful==1', { 'stream.faithful': share(29_999, 30_000) }).ok).toBe(false);
  });

  it('is rounded as before elsewhere, and exact at 0 and 1', () => {
    expect(share(1, 3)).toBe(0.3333);
    expect(share(2, 3, 3)).toBe(0.667);
    expect(share(0, 300_000)).toBe(0);
    expect(share(300_000, 300_000)).toBe(1);
  });
});

describe('--compare', () => {
  /** A report of one figure. */
  const single = (key: string, v: number): BenchReport => ({
    version: 1,
    env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
    scenarios: {},
    figures: { [key]: v },
    assertions: [],
  });

  it('flags a throughput drop and a latency rise beyond 10 %', () => {
    const base = (f: Record<string, number>): BenchReport => ({
      version: 1,
      env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
      scenarios: {},
      figures: f,
      assertions: [],
    });
    const c = compare(
      base({ 'throughput.rps': 1000, 'throughput.p99': 10, 'ttft.p50': 5 }),
      base({ 'throughput.rps': 800, 'throughput.p99': 10.5, 'ttft.p50': 7 }),
    );
    expect(c.regressions).toBe(2);
    expect(c.lines.find((l) => l.includes('throughput.rps'))).toContain('REGRESSION');
    expect(c.lines.find((l) => l.includes('throughput.p99'))).not.toContain('REGRESSION');
  });

  it.each([
    // The largest answer that passes, fallen to a 1 MiB buffer's cut; the routing scenarios' gains, shrunk.
    ['sweep.answerBytes', 64 * 1024 ** 2, 1024 ** 2],
    ['sweep.streamBytes', 64 * 1024 ** 2, 1024 ** 2],
    ['sweep.requestBytes', 8 * 1024 ** 2, 1024 ** 2],
    ['cost.saving', 0.6, 0.2],
    ['prefix.prefix.hitRate', 0.8, 0.1],
    ['prefix.prefix.savedTokens', 90_000, 10_000],
    ['prefix.prefillSaved', 90_000, 10_000],
    ['latency.latency.avoided', 0.95, 0.5],
    ['latency.latency.shareMoved', 0.3, 0.05],
    ['split.stickiness', 1, 0.5],
    ['stream.count', 1000, 500],
    // The first cut came at 256 KiB where it came at 16 MiB: a smaller buffer now cuts.
    ['long.truncatedAt', 16 * 1024 ** 2, 256 * 1024],
  ])('flags %s falling from %d to %d as a regression, and its rise as none', (key, before, after) => {
    expect(compare(single(key, before), single(key, after)).regressions).toBe(1);
    expect(compare(single(key, after), single(key, before)).regressions).toBe(0);
  });

  it.each([
    // Over the limit: the gateway stopped enforcing it; under it: the key gets less than it pays for.
    [0.97, 3],
    [1, 1.2],
    [0.97, 0.5],
  ])('flags ratelimit.ratio moving from %d to %d, away from the limit, as a regression, and its return as none', (before, after) => {
    expect(compare(single('ratelimit.ratio', before), single('ratelimit.ratio', after)).regressions).toBe(1);
    expect(compare(single('ratelimit.ratio', after), single('ratelimit.ratio', before)).regressions).toBe(0);
  });

  it('reads a share moving by less than a ten-thousandth as no change, and by more as it reads any figure', () => {
    // One event in 50,000 held back 20 ms (scheduling noise) against a clean baseline: kept exact for --assert, no
    // regression for --compare. One failure in 1,000 is one.
    expect(compare(single('stream.heldShare', 0), single('stream.heldShare', 2e-5)).regressions).toBe(0);
    expect(compare(single('throughput.errors', 0), single('throughput.errors', 3e-6)).regressions).toBe(0);
    expect(compare(single('throughput.errors', 0), single('throughput.errors', 0.001)).regressions).toBe(1);
    expect(compare(single('stream.faithful', 1), single('stream.faithful', 0.999)).regressions).toBe(0);
    expect(compare(single('stream.faithful', 1), single('stream.faithful', 0.8)).regressions).toBe(1);
  });

  it('reads ratelimit.ratio moving within 10 points of the limit as no regression', () => {
    expect(compare(single('ratelimit.ratio', 0.95), single('ratelimit.ratio', 1.04)).regressions).toBe(0);
    expect(compare(single('ratelimit.ratio', 1), single('ratelimit.ratio', 0.92)).regressions).toBe(0);
  });

  it.each([
    ['prefix.prefillRatio', 0.3, 0.9],
    ['prefix.ttftRatio', 0.5, 0.9],
    ['stream.addedTtft', 1, 5],
  ])('still flags %s rising (smaller is better) as a regression', (key, before, after) => {
    expect(compare(single(key, before), single(key, after)).regressions).toBe(1);
    expect(compare(single(key, after), single(key, before)).regressions).toBe(0);
  });

  it('counts a figure the after run no longer measured, in a scenario it ran again, as a regression', () => {
    const run = (figures: BenchReport['figures'], scenarios: string[]): BenchReport => ({
      version: 1,
      env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
      scenarios: Object.fromEntries(scenarios.map((s) => [s, { figures: {}, lines: [] }])),
      figures,
      assertions: [],
    });
    const before = run({ 'ratelimit.ratio': 1, 'split.p': 0.4, 'long.truncations': 0, p99: 3 }, ['ratelimit', 'split', 'long']);
    // ratelimit ran and measured no ratio (null); split ran and left p out; long did not run at all.
    const c = compare(before, run({ 'ratelimit.ratio': null }, ['ratelimit', 'split']));
    expect(c.regressions).toBe(2);
    expect(c.lines.find((l) => l.includes('ratelimit.ratio'))).toMatch(/REGRESSION.*not measured/);
    expect(c.lines.find((l) => l.includes('split.p'))).toMatch(/REGRESSION.*not measured/);
    expect(c.lines.join('\n')).not.toContain('long.truncations');
  });

  it('reads long.truncatedAt gone null (nothing cut any more) as no regression', () => {
    const run = (figures: BenchReport['figures']): BenchReport => ({
      version: 1,
      env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
      scenarios: { long: { figures: {}, lines: [] } },
      figures,
      assertions: [],
    });
    const before = run({ 'long.truncatedAt': 16 * 1024 ** 2, 'long.truncations': 3 });
    expect(compare(before, run({ 'long.truncatedAt': null, 'long.truncations': 0 })).regressions).toBe(0);
  });

  it("shows a report file's target, start and figure names printable: no escape sequence, no forged line", () => {
    const hostile = 'x\u001b]52;c;cHdu\u0007\u001b[2J\nforged';
    const report = (rps: number): BenchReport => ({
      version: 1,
      env: {
        node: '',
        platform: '',
        cpus: 2,
        cpuModel: '',
        target: hostile,
        model: 'm',
        startedAt: hostile,
        durationMs: 1,
        connections: 1,
      },
      scenarios: {},
      figures: { 'throughput.rps': rps, [hostile]: 1 },
      assertions: [],
    });
    const text = compare(report(100), report(90)).lines.join('\n');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\u0007');
    for (const line of text.split('\n')) expect(line.startsWith('forged')).toBe(false);
    expect(text).toContain('x?]52;c;cHdu??[2J?forged');
  });

  it('says which run was interrupted, and a saved report keeps it', () => {
    const report = (interrupted?: BenchReport['interrupted']): BenchReport => ({
      version: 1,
      env: { node: '', platform: '', cpus: 2, cpuModel: '', target: 't', model: 'm', startedAt: 'x', durationMs: 1, connections: 1 },
      scenarios: {},
      figures: { 'throughput.rps': 100 },
      assertions: [],
      ...(interrupted ? { interrupted } : {}),
    });
    const cut = report({ during: 'stream', skipped: ['long'] });
    const c = compare(report(), cut);
    expect(c.lines).toContain('  the after run was interrupted during stream: its figures cover what ran before the signal; not run: long');
    expect(c.lines.join('\n')).not.toContain('the before run');
    const saved = parseReport(JSON.stringify(cut));
    expect(saved.ok && saved.value.interrupted).toEqual({ during: 'stream', skipped: ['long'] });
    expect(parseReport(JSON.stringify({ ...cut, interrupted: { during: 1 } })).ok).toBe(false);
    // Before any scenario began; and a report file's names are shown printable, whoever wrote it.
    expect(interruption(report({ skipped: ['throughput', 'stream'] }))).toBe(
      'interrupted before the first scenario; not run: throughput, stream',
    );
    expect(interruption(report({ during: 'x\u001b]0;owned\u0007', skipped: [] }))).toBe(
      'interrupted during x?]0;owned?: its figures cover what ran before the signal',
    );
  });
});
