/** `aigw bench` flags, checked: every bad value is a usage error naming the flag and what it takes. */
import { readFileSync } from 'node:fs';
import { parseDuration, parseSize } from '../core/units.js';
import { parseRoutingOptions, type RoutingOptions } from './routing-options.js';
import type { BenchApi } from './anthropic-api.js';
import { type Assertion, parseAssertion } from './assertions.js';
import { type Slo, parseSlo } from './slo.js';
import { fileWorkload, type Parsed, parseLength, parseWorkload, syntheticWorkload, type Workload } from './workload.js';

export interface RawBenchOptions {
  /** With -c: every backend replaced by a mock of its kind. */
  mockAll?: boolean;
  model?: string;
  target?: string;
  config?: string;
  scenario?: string[];
  duration: string;
  connections: string;
  rate?: string;
  burstiness?: string;
  workload?: string;
  inputLen?: string;
  outputLen?: string;
  slo?: string;
  /** true, or the highest rate to offer. */
  ramp?: boolean | string;
  longSizes?: string;
  apiKey?: string;
  /** The API spoken to the target: openai (default) or anthropic (POST /v1/messages). */
  api?: string;
  assert?: string[];
  json?: string;
  html?: string;
  expect?: string;
  compare?: string[];
  /** commander's negation of --no-pace. */
  pace?: boolean;
  /** The routing scenarios' fleets and workloads: k=v,… */
  routing?: string;
}

export interface BenchOptions {
  model: string;
  durationMs: number;
  /** Closed loop: requests in flight at once. */
  connections: number;
  /** Open loop: requests per second (Poisson, or gamma with `burstiness`), instead of the closed loop. */
  rate: number | undefined;
  burstiness: number;
  /** What throughput, stream and ramp send instead of their own small requests. */
  workload: Workload | undefined;
  slo: Slo | undefined;
  longSizes: number[] | undefined;
  rampMax: number | undefined;
  scenarios: string[] | undefined;
  /** Expected split from --expect a=95,b=5 (overrides the profile's weights). */
  expect: Record<string, number> | undefined;
  pace: boolean;
  routing: RoutingOptions;
  api: BenchApi;
  /** Every `--assert`, read before anything runs: a bad one is a usage error, not a verdict after the load. */
  asserts: Assertion[];
}

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/**
 * What each number flag takes, beyond "positive". --connections: one request loop and one socket each, and a client
 * has at most 64 Ki ports toward one address (1e8 ran out of heap in Array.from, 5e9 threw 'Invalid array length').
 * --rate and --ramp: far past what one client process offers (the open loop says when it falls behind). --burstiness:
 * the gamma draw keeps its mean down to 0.01; at 1e-300 every gap underflowed to 0 (the run's arrivals at once), at
 * 1e-309 rate × burstiness underflowed and every gap was NaN; past 1,000 the arrivals are as steady as they get.
 */
const BOUNDS = {
  '--connections': { min: 1, max: 65_536 },
  '--rate': { min: 0, max: 1_000_000 },
  '--ramp': { min: 0, max: 1_000_000 },
  '--burstiness': { min: 0.01, max: 1000 },
} as const;

/**
 * The largest answer long and sweep ask for: a body is read as one string (V8 holds at most 2^29 − 24 characters, with
 * its JSON around the text), and sweep sends request bodies up to it — at 1Gi its 512 MiB step threw 'Invalid string
 * length' out of the run, and the scenarios already run were lost with it.
 */
const MAX_LONG_SIZE = 256 * 1024 ** 2;

function positive(flag: keyof typeof BOUNDS, v: string | undefined, integer: boolean): Parsed<number | undefined> {
  if (v === undefined) return { ok: true, value: undefined };
  const n = Number(v);
  const { min, max } = BOUNDS[flag];
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))
    return fail(`${flag} takes a positive ${integer ? 'integer' : 'number'}, got "${v.slice(0, 40)}"`);
  if (n < min || n > max)
    return fail(`${flag} takes ${min > 0 ? `${min} to ` : 'up to '}${max.toLocaleString('en')}, got "${v.slice(0, 40)}"`);
  return { ok: true, value: n };
}

/**
 * Weights are finite, not negative, and not all 0 (Infinity or all zeros made every expected share NaN); the table has
 * no prototype, so a backend named `__proto__` is a name like any other.
 */
function parseExpect(s: string | undefined): Parsed<Record<string, number> | undefined> {
  if (!s) return { ok: true, value: undefined };
  const out = Object.create(null) as Record<string, number>;
  let total = 0;
  for (const part of s.split(',')) {
    const [k, v, extra] = part.split('=');
    const weight = Number(v);
    if (!k?.trim() || !v?.trim() || extra !== undefined || !Number.isFinite(weight) || weight < 0)
      return fail(`--expect takes name=weight pairs, e.g. a=95,b=5; got "${s.slice(0, 200)}"`);
    out[k.trim()] = weight;
    total += weight;
  }
  if (!(total > 0 && Number.isFinite(total))) return fail(`--expect needs a weight above 0; got "${s.slice(0, 200)}"`);
  return { ok: true, value: out };
}

function parseWorkloadFlags(o: RawBenchOptions): Parsed<Workload | undefined> {
  if (o.workload && (o.inputLen || o.outputLen)) return fail('give --workload FILE or --input-len/--output-len, not both');
  if (o.workload) {
    let text: string;
    try {
      text = readFileSync(o.workload, 'utf8');
    } catch (e) {
      return fail(`--workload ${o.workload}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
    const lines = parseWorkload(text, o.workload);
    return lines.ok ? { ok: true, value: fileWorkload(lines.value, o.workload) } : lines;
  }
  if (!o.inputLen && !o.outputLen) return { ok: true, value: undefined };
  const input = parseLength(o.inputLen ?? '128');
  if (!input.ok) return fail(`--input-len: ${input.message}`);
  const output = parseLength(o.outputLen ?? '128');
  if (!output.ok) return fail(`--output-len: ${output.message}`);
  return { ok: true, value: syntheticWorkload(input.value, output.value) };
}

export function parseBenchOptions(o: RawBenchOptions): Parsed<BenchOptions> {
  if (!o.model) return fail('--model NAME is required (the public model to request)');
  const durationMs = parseDuration(o.duration);
  // 1 followed by 400 zeros is Infinity ms: a load that never ends, and null in the report.
  if (durationMs === undefined || !Number.isFinite(durationMs) || durationMs <= 0)
    return fail(`--duration takes a duration such as 10s, got "${o.duration}"`);
  const connections = positive('--connections', o.connections, true);
  if (!connections.ok) return connections;
  const rate = positive('--rate', o.rate, false);
  if (!rate.ok) return rate;
  const burstiness = positive('--burstiness', o.burstiness, false);
  if (!burstiness.ok) return burstiness;
  if (burstiness.value !== undefined && rate.value === undefined && !o.ramp)
    return fail('--burstiness shapes --rate (or --ramp): give one');
  const rampMax = positive('--ramp', typeof o.ramp === 'string' ? o.ramp : undefined, false);
  if (!rampMax.ok) return rampMax;
  const workload = parseWorkloadFlags(o);
  if (!workload.ok) return workload;
  let slo: Slo | undefined;
  if (o.slo) {
    const s = parseSlo(o.slo);
    if (!s.ok) return s;
    slo = s.value;
  }
  let longSizes: number[] | undefined;
  if (o.longSizes) {
    longSizes = o.longSizes.split(',').map((x) => parseSize(x.trim()) ?? Number.NaN);
    if (longSizes.some((n) => !(n >= 1024 && n <= MAX_LONG_SIZE)))
      return fail(`--long-sizes takes sizes from 1Ki to 256Mi, e.g. 256Ki,1Mi,4Mi; got "${o.longSizes.slice(0, 200)}"`);
  }
  const expect = parseExpect(o.expect);
  if (!expect.ok) return expect;
  const routing = parseRoutingOptions(o.routing);
  if (!routing.ok) return routing;
  const api = o.api ?? 'openai';
  if (api !== 'openai' && api !== 'anthropic') return fail(`--api takes openai or anthropic, got "${api.slice(0, 40)}"`);
  const asserts: Assertion[] = [];
  for (const expr of o.assert ?? []) {
    const a = parseAssertion(expr);
    if (!a.ok) return a;
    asserts.push(a.value);
  }
  let scenarios = o.scenario?.length ? [...o.scenario] : undefined;
  if (o.ramp && !scenarios?.includes('ramp')) scenarios = [...(scenarios ?? []), 'ramp'];
  return {
    ok: true,
    value: {
      model: o.model,
      durationMs,
      connections: connections.value!,
      rate: rate.value,
      burstiness: burstiness.value ?? 1,
      workload: workload.value,
      slo,
      longSizes,
      rampMax: rampMax.value,
      scenarios,
      expect: expect.value,
      pace: o.pace !== false,
      routing: routing.value,
      api,
      asserts,
    },
  };
}
