/** `aigw bench` flags: each bad value is a usage error naming the flag. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBenchOptions, type RawBenchOptions } from '../../../src/bench/options.js';

const base: RawBenchOptions = { model: 'm', duration: '10s', connections: '50' };
const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-opts-'));
const jsonl = join(dir, 'w.jsonl');
writeFileSync(jsonl, '{"prompt":"hi","max_tokens":4}\n');

describe('parseBenchOptions', () => {
  it('reads a full set of flags', () => {
    const r = parseBenchOptions({
      ...base,
      rate: '12.5',
      burstiness: '0.5',
      slo: 'ttft:200ms,tpot:50ms',
      longSizes: '256Ki,1Mi',
      ramp: true,
      workload: jsonl,
    });
    expect(r).toMatchObject({
      ok: true,
      value: { rate: 12.5, burstiness: 0.5, slo: { ttft: 200, tpot: 50 }, longSizes: [262144, 1048576], scenarios: ['ramp'], pace: true },
    });
    if (r.ok) expect(r.value.workload?.describe).toBe(`${jsonl}: 1 requests`);
  });

  it('--ramp adds the ramp to named scenarios; --no-pace turns pacing off; synthetic lengths make a workload', () => {
    const r = parseBenchOptions({ ...base, scenario: ['stream'], ramp: true, pace: false, inputLen: 'uniform:10-20', outputLen: '32' });
    expect(r).toMatchObject({ ok: true, value: { scenarios: ['stream', 'ramp'], pace: false } });
    if (r.ok) expect(r.value.workload?.describe).toBe('synthetic: input uniform 10-20 tokens, output 32 tokens');
  });

  it.each([
    ['no model', { model: undefined }, /--model NAME is required/],
    ['a bad duration', { duration: 'soon' }, /--duration takes a duration/],
    ['zero connections', { connections: '0' }, /--connections takes a positive integer/],
    ['a negative rate', { rate: '-1' }, /--rate takes a positive number/],
    ['burstiness without a rate', { burstiness: '2' }, /--burstiness shapes --rate/],
    ['both workload kinds', { workload: jsonl, inputLen: '5' }, /not both/],
    ['a missing workload file', { workload: join(dir, 'none.jsonl') }, /--workload .*none\.jsonl: no such file/],
    ['a bad output length', { outputLen: 'lots' }, /--output-len: expected a length/],
    ['a bad SLO', { slo: 'speed:1ms' }, /--slo takes ttft, tpot, e2el/],
    ['a tiny long size', { longSizes: '12' }, /--long-sizes takes sizes from 1Ki to 256Mi/],
    [
      'a long size past a string (sweep built a body of 512 Mi characters)',
      { longSizes: '1Mi,1Gi' },
      /--long-sizes takes sizes from 1Ki to 256Mi/,
    ],
    ['a bad ramp bound', { ramp: 'fast' }, /--ramp takes a positive number/],
    ['a bad --expect', { expect: 'a=x' }, /--expect takes name=weight pairs/],
    ['an infinite --expect weight', { expect: 'a=Infinity,b=1' }, /--expect takes name=weight pairs/],
    ['an --expect weight past a double', { expect: 'a=1e999' }, /--expect takes name=weight pairs/],
    ['an --expect weight of blanks', { expect: 'a= ' }, /--expect takes name=weight pairs/],
    ['an --expect pair with two =', { expect: 'a=1=2' }, /--expect takes name=weight pairs/],
    ['--expect weights that are all 0', { expect: 'a=0,b=0' }, /--expect needs a weight above 0/],
    ['--expect weights whose sum overflows', { expect: 'a=1e308,b=1e308' }, /--expect needs a weight above 0/],
    ['a malformed --assert among good ones', { assert: ['p99<800ms', 'p99<<3'] }, /--assert: cannot read "p99<<3"/],
    ['a duration of Infinity ms', { duration: `1${'0'.repeat(400)}s` }, /--duration takes a duration/],
    ['more connections than a client has ports', { connections: '100000000' }, /--connections takes 1 to 65,536/],
    ['connections past an array', { connections: '5000000000' }, /--connections takes 1 to 65,536/],
    ['a rate past any client', { rate: '1e300' }, /--rate takes up to 1,000,000/],
    ['a burstiness whose gaps underflow to 0', { rate: '1', burstiness: '1e-300' }, /--burstiness takes 0.01 to 1,000/],
    ['a burstiness whose gaps are NaN', { rate: '1', burstiness: '1e-309' }, /--burstiness takes 0.01 to 1,000/],
    ['a ramp bound past any client', { ramp: '1e12' }, /--ramp takes up to 1,000,000/],
    ['an SLO of Infinity ms', { slo: `ttft:1${'0'.repeat(400)}` }, /--slo ttft: expected a positive duration/],
  ])('refuses %s', (_name, over, message) => {
    const r = parseBenchOptions({ ...base, ...over } as RawBenchOptions);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it('takes the edges of each bound, and a rate far below one a second', () => {
    const r = parseBenchOptions({ ...base, connections: '65536', rate: '1e-9', burstiness: '0.01', ramp: '1000000' });
    expect(r).toMatchObject({ ok: true, value: { connections: 65536, rate: 1e-9, burstiness: 0.01, rampMax: 1_000_000 } });
    expect(parseBenchOptions({ ...base, rate: '1000000', burstiness: '1000' })).toMatchObject({ ok: true });
  });

  it('reads --expect names as names, __proto__ and constructor too', () => {
    const r = parseBenchOptions({ ...base, expect: '__proto__=3, constructor = 1,b=0' } as RawBenchOptions);
    expect(r.ok).toBe(true);
    if (r.ok)
      expect(Object.entries(r.value.expect!)).toEqual([
        ['__proto__', 3],
        ['constructor', 1],
        ['b', 0],
      ]);
  });
});
