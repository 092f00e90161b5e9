import { describe, expect, it } from 'vitest';
import { formatIssueLines, issueLines } from '../../../scripts/lib/issue-lines.js';
import { markdown, mediansOf, overheadTable, streamsTable } from '../../../scripts/lib/overhead-report.js';

const T = [
  { name: 'direct', label: 'direct' },
  { name: 'bare', label: 'bare undici proxy' },
  { name: 'aigw', label: 'aigw' },
];
const MiB = 2 ** 20;

describe("bench:overhead's tables", () => {
  it('medians per figure; non-numbers and missing values are skipped', () => {
    expect(
      mediansOf([
        { rps: 3, cpu: undefined },
        { rps: 1, cpu: 5 },
        { rps: 2, note: 'x' },
      ]),
    ).toEqual({ rps: 2, cpu: 5, note: Number.NaN });
  });

  it('ratios against the bare proxy, latencies as added to direct', () => {
    const m = {
      direct: { rps: 40_000, lat1P50: 0.1, streamsPerS: 5000, ttfbMs: 0.5, failedTotal: 0 },
      bare: { rps: 20_000, cpuUsPerRequest: 150, lat1P50: 0.5, streamsPerS: 4500, cpuUsPerStream: 400, ttfbMs: 0.9, failedTotal: 0 },
      aigw: { rps: 15_000, cpuUsPerRequest: 176.4, lat1P50: 0.55, streamsPerS: 3600, cpuUsPerStream: 500, ttfbMs: 1.06, failedTotal: 3 },
    };
    const mem = { bare: { idleBytes: 72 * MiB, afterBytes: 105 * MiB }, aigw: { idleBytes: 96 * MiB, afterBytes: 214 * MiB } };
    const t = overheadTable(T, m, mem, 50);
    const row = (prefix: string) => t.rows.find((r) => r.row.startsWith(prefix))!.cells;
    expect(row('non-streaming RPS, 50 connections (× the bare undici proxy)')).toEqual({
      direct: '40,000 (2.00×)',
      bare: '20,000 (1)',
      aigw: '15,000 (0.75×)',
    });
    expect(row('gateway CPU per request')).toEqual({ direct: '–', bare: '150 µs', aigw: '176 µs' });
    expect(row('added p50')).toEqual({ direct: '0.100 ms', bare: '+0.400 ms', aigw: '+0.450 ms' });
    expect(row('saturating streams/s')).toEqual({ direct: '1 (5,000/s)', bare: '0.90× (4,500/s)', aigw: '0.72× (3,600/s)' });
    expect(row('added time to first byte')).toEqual({ direct: '0.500 ms', bare: '+0.400 ms', aigw: '+0.560 ms' });
    expect(t.rows.some((r) => r.row.includes('back to back'))).toBe(false);
    const b2b = {
      direct: { ...m.direct, ttfbB2bMs: 0.09 },
      bare: { ...m.bare, ttfbB2bMs: 0.28 },
      aigw: { ...m.aigw, ttfbB2bMs: 0.305 },
    };
    const rows = overheadTable(T, b2b, mem, 50).rows;
    const at = rows.findIndex((r) => r.row.startsWith('added time to first byte'));
    expect(rows[at + 1]).toEqual({
      row: 'the same, streams back to back',
      cells: { direct: '0.090 ms', bare: '+0.190 ms', aigw: '+0.215 ms' },
    });
    expect(row('RSS idle')).toEqual({ direct: '–', bare: '72 → 105 MiB', aigw: '96 → 214 MiB' });
    expect(t.rows.some((r) => r.row.includes('settled'))).toBe(false);
    const settled = {
      bare: { ...mem.bare, idleSettledBytes: 57 * MiB, afterSettledBytes: 80 * MiB },
      aigw: { ...mem.aigw, idleSettledBytes: 68 * MiB, afterSettledBytes: 120 * MiB },
    };
    expect(overheadTable(T, m, settled, 50).rows.find((r) => r.row.includes('settled'))!.cells).toEqual({
      direct: '–',
      bare: '57 → 80 MiB',
      aigw: '68 → 120 MiB',
    });
    expect(row('failed')).toEqual({ direct: '0', bare: '0', aigw: '3' });
    const md = markdown(t, T).split('\n');
    expect(md[0]).toBe('|  | direct | bare undici proxy | aigw |');
    expect(md[2]).toBe('| non-streaming RPS, 50 connections (× the bare undici proxy) | 40,000 (2.00×) | 20,000 (1) | 15,000 (0.75×) |');
  });

  it('large answers: RSS growth per gateway, incomplete answers flagged', () => {
    const large = {
      direct: { answers: 20, answerMiB: 20.03, incomplete: 0 },
      bare: { answers: 20, answerMiB: 20.03, incomplete: 0, rssGrowthMiB: 3.4 },
      aigw: { answers: 20, answerMiB: 20.03, incomplete: 2, rssGrowthMiB: 41.6 },
    };
    const t = overheadTable(T, { direct: {}, bare: {}, aigw: {} }, {}, 50, large);
    expect(t.rows.at(-1)).toEqual({
      row: 'RSS growth: 10 clients × 2 sequential 20 MiB answers',
      cells: { direct: '–', bare: '+3 MiB', aigw: '+42 MiB (2 of 20 INCOMPLETE)' },
    });
    expect(overheadTable(T, { direct: {}, bare: {}, aigw: {} }, {}, 50).rows.some((r) => r.row.startsWith('RSS growth'))).toBe(false);
  });

  it('without the bare proxy, throughput is a ratio to direct', () => {
    const t = overheadTable([T[0]!, T[2]!], { direct: { rps: 100 }, aigw: { rps: 50 } }, {}, 8);
    expect(t.rows[0]).toEqual({ row: 'non-streaming RPS, 8 connections (× direct)', cells: { direct: '100 (1)', aigw: '50 (0.50×)' } });
  });

  it('concurrent streams: delays added to direct, gateway-only figures dashed for direct, targets without runs left out', () => {
    const m = {
      direct: { delayP50: 0.5, delayP99: 2, delayMax: 9, ttfcP99: 3, failed: 0 },
      aigw: {
        delayP50: 1,
        delayP99: 23,
        delayMax: 40,
        ttfcP99: 880,
        failed: 2,
        rssPerStreamKiB: 61.25,
        cpuUsPerChunk: 70.04,
        openCpuUsPerChunk: 61.96,
        saturatedSeconds: 2.25,
        loopP99: 12,
        loopMax: 30,
      },
    };
    const t = streamsTable(T, m, 1000, 100, 20);
    expect(t.title).toBe('1000 concurrent streams, one chunk per 100 ms for 20 s');
    expect(streamsTable(T, m, 1000, 100, 20, 32).title).toBe('1000 concurrent streams, one chunk per 100 ms for 20 s, 32 KiB prompts');
    expect(streamsTable(T, m, 1000, 100, 20, 32, 'cjk').title).toBe(
      '1000 concurrent streams, one chunk per 100 ms for 20 s, 32 KiB prompts (cjk)',
    );
    expect(t.columns).toEqual(['direct', 'aigw']);
    expect(t.rows.map((r) => r.cells.aigw)).toEqual([
      '+0.5 / +21.0 / +31.0 ms',
      '880.0 ms',
      '2 of 1000',
      '61.3 KiB',
      '70.0 µs',
      '62.0 µs',
      '2.3 s',
      '12.0 / 30.0 ms',
    ]);
    expect(t.rows.map((r) => r.cells.direct)).toEqual(['0.5 / 2.0 / 9.0 ms', '3.0 ms', '0 of 1000', '–', '–', '–', '–', '–']);
  });
});

describe("issue 16's lines, judged on one run", () => {
  const m = {
    direct: { rps: 40_000, streamsPerS: 5000, ttfbMs: 0.5 },
    bare: { rps: 20_000, cpuUsPerRequest: 100, streamsPerS: 4000, ttfbMs: 1.0 },
    aigw: { rps: 19_000, cpuUsPerRequest: 99, streamsPerS: 4400, ttfbMs: 1.049 },
    'aigw-tenant': { rps: 14_000, cpuUsPerRequest: 140, streamsPerS: 3000, ttfbMs: 1.3 },
  };
  const mem = {
    bare: { idleBytes: 60 * MiB, afterBytes: 100 * MiB },
    'aigw-tenant': { idleBytes: 76 * MiB, afterBytes: 125 * MiB },
    aigw: { idleBytes: 70 * MiB, afterBytes: 126 * MiB },
  };
  const byLine = (j: ReturnType<typeof issueLines>) => Object.fromEntries(j!.lines.map((l) => [l.line, [l.met, l.figure]]));

  it('judges aigw with a tenant when it ran, each line at its own bound', () => {
    const j = issueLines(m, mem, undefined)!;
    expect(j.subject).toBe('aigw-tenant');
    expect(byLine(j)).toEqual({
      'non-streaming requests/s ≥ 1.0× the bare proxy': [false, '0.70×'],
      'gateway CPU per request ≤ 1.0× the bare proxy': [false, '1.40×'],
      'saturating streams/s ≥ 1.0× the bare proxy': [false, '0.75×'],
      'added paced time to first byte ≤ the bare proxy + 0.05 ms': [false, "+0.300 ms over the bare proxy's"],
      'RSS after the load rounds ≤ 1.25× the bare proxy': [true, '1.25×'],
      'idle RSS ≤ the bare proxy + 15 MiB': [false, '+16 MiB'],
    });
  });

  it('without a tenant, aigw; a bound reached exactly is met', () => {
    const { 'aigw-tenant': _, ...plain } = m;
    const j = issueLines(plain, mem, undefined)!;
    expect(j.subject).toBe('aigw');
    const lines = byLine(j);
    expect(lines['non-streaming requests/s ≥ 1.0× the bare proxy']).toEqual([false, '0.95×']);
    expect(lines['gateway CPU per request ≤ 1.0× the bare proxy']).toEqual([true, '0.99×']);
    expect(lines['saturating streams/s ≥ 1.0× the bare proxy']).toEqual([true, '1.10×']);
    expect(lines['added paced time to first byte ≤ the bare proxy + 0.05 ms']).toEqual([true, "+0.049 ms over the bare proxy's"]);
    expect(lines['idle RSS ≤ the bare proxy + 15 MiB']).toEqual([true, '+10 MiB']);
  });

  it('the streams lines only where the direct baseline kept cadence; failures summed over the rounds', () => {
    const run = (delayP99: number, cpuUsPerChunk: number, rssPerStreamKiB: number, failed = 0) => ({
      delayP99,
      cpuUsPerChunk,
      rssPerStreamKiB,
      failed,
    });
    const streams = {
      2000: {
        n: 2000,
        directKeepsCadence: true,
        medians: { direct: run(2, 0, 0), bare: run(12, 48, 20), 'aigw-tenant': run(14, 43, 16) },
        runs: { 'aigw-tenant': [run(14, 43, 16), run(14, 43, 16, 1)] },
      },
      4000: { n: 4000, directKeepsCadence: false, medians: {}, runs: {} },
    };
    const lines = byLine(issueLines(m, mem, streams));
    expect(lines["2,000 streams: added delay p99 ≤ 1.2× the bare proxy's"]).toEqual([true, '1.20× (+12.000 ms against +10.000 ms)']);
    expect(lines['2,000 streams: no stream failed']).toEqual([false, '1 failed']);
    expect(lines["2,000 streams: CPU per chunk ≤ the bare proxy's"]).toEqual([true, '0.90×']);
    expect(lines["2,000 streams: memory per stream ≤ the bare proxy's"]).toEqual([true, '0.80×']);
    expect(Object.keys(lines).some((l) => l.startsWith('4,000'))).toBe(false);
  });

  it('a figure the run does not have is not judged; without aigw or the bare proxy, nothing is', () => {
    const j = issueLines({ bare: m.bare, aigw: { rps: 19_000 } }, undefined, undefined)!;
    const lines = byLine(j);
    expect(lines['non-streaming requests/s ≥ 1.0× the bare proxy']).toEqual([false, '0.95×']);
    expect(lines['RSS after the load rounds ≤ 1.25× the bare proxy']).toEqual([undefined, '–']);
    expect(formatIssueLines(j, 'aigw against the bare undici proxy')).toMatch(
      /^issue 16's lines on this run \(aigw against the bare undici proxy, medians of the rounds\):\n {2}NOT MET {2}non-streaming requests\/s ≥ 1\.0× the bare proxy: 0\.95×\n(.|\n)* {2}not run {2}RSS after the load rounds/,
    );
    expect(issueLines({ aigw: m.aigw }, mem, undefined)).toBeUndefined();
    expect(formatIssueLines(undefined, '')).toContain('not judged');
  });
});
