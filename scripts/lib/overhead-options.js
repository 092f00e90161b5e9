// bench:overhead's command line: the options, their defaults and checks, as one value (or a message for the user).
import { parseArgs } from 'node:util';
import { TARGETS } from './gateways.js';

const PROMPT_SCRIPTS = ['latin', 'cyrillic', 'cjk'];

export const HELP = `usage: node scripts/bench-overhead.js [options]   (npm run bench:overhead -- [options])
  --rounds N           interleaved rounds; figures are medians (3)
  --seconds S          length of each load phase of a round (5)
  --connections C      connections of the non-streaming and saturating-stream loads (50)
  --warmup S           seconds of the non-streaming and the saturating load per target before the rounds and
                       the concurrent streams (5):
                       a gateway is measured warm, as it runs, not while V8 still compiles it (aigw has more
                       code to compile than the bare proxy, so a short warm-up measures its JIT)
  --only LIST          targets, comma-separated, of: ${TARGETS.map((t) => t.name).join(', ')}
                       (default: all but ${TARGETS.filter((t) => t.optional)
                         .map((t) => t.name)
                         .join(', ')})
                       tracing's cost: --only aigw,aigw-trace0,aigw-trace (off, SDK loaded with nothing sampled, all sampled)
  --streams N[,N…]     concurrent-streams mode: N clients each holding one paced stream, per count (each target
                       first holds the smallest count for 3 s, unmeasured: a warm-up)
  --stream-seconds S   how long each stream lasts (20)
  --stream-interval MS one chunk per MS (100)
  --stream-prompt-kib K each stream's request carries a prompt of K KiB (0: one short sentence), as a chat with
                       history does: what a gateway keeps of its request while the stream lasts shows per stream
  --stream-prompt-script latin|cyrillic|cjk  the prompt's script (latin): other scripts cost a decoder more
  --ramp MS            the N streams open evenly over MS (1000)
  --cadence-ms MS      the direct baseline keeps cadence while its lateness p99 stays within MS (10)
  --stream-rounds N    runs per target and count; figures are medians (1)
  --streams-only       skip the table's rounds (only the concurrent-streams mode)
  --large              one more row: RSS growth while 10 clients each fetch 2 answers of 20 MiB, one after another
  --cpu-prof DIR       one extra, unmeasured round with each Node gateway profiled; DIR/*.cpuprofile, top functions
  --cpu-interval US    sampling interval of those profiles, µs (200)
  --settle S           also read each gateway's RSS S seconds after it went idle (at start and after the rounds),
                       once V8's memory reducer has given back what garbage collection left; 0 skips (30: the
                       reducer starts ~8 s after the collection that arms it, aigw's 2-4 s into the quiet)
  --heap               heap snapshots of each Node gateway before and after the load rounds; biggest growth;
                       with --streams, also the live heap per held stream (snapshots before and while the
                       smallest count is held, in a run of its own)
  --dir DIR            where configurations, logs and snapshots go (a fresh temp dir)
  --json FILE          every figure, per round and median
  --baseline DIR       another built aigw checkout (e.g. a git worktree of main): adds the targets base and
                       base-tenant, that build with the aigw and aigw-tenant profiles, for before/after in one run
  --no-pin             do not pin processes to CPUs even when taskset exists
  --help               this text`;

const OPTIONS = {
  rounds: { type: 'string', default: '3' },
  seconds: { type: 'string', default: '5' },
  connections: { type: 'string', default: '50' },
  warmup: { type: 'string', default: '5' },
  only: { type: 'string' },
  streams: { type: 'string' },
  'stream-seconds': { type: 'string', default: '20' },
  'stream-interval': { type: 'string', default: '100' },
  'stream-prompt-kib': { type: 'string', default: '0' },
  'stream-prompt-script': { type: 'string', default: 'latin' },
  ramp: { type: 'string', default: '1000' },
  'cadence-ms': { type: 'string', default: '10' },
  'stream-rounds': { type: 'string', default: '1' },
  'streams-only': { type: 'boolean', default: false },
  large: { type: 'boolean', default: false },
  'cpu-prof': { type: 'string' },
  'cpu-interval': { type: 'string', default: '200' },
  heap: { type: 'boolean', default: false },
  settle: { type: 'string', default: '30' },
  dir: { type: 'string' },
  json: { type: 'string' },
  baseline: { type: 'string' },
  'no-pin': { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
};

/** `{ ok: true, value }` with numbers parsed, or `{ ok: false, message }` saying what is wrong. */
export function readOptions(args) {
  let o;
  try {
    o = parseArgs({ args, options: OPTIONS }).values;
  } catch (e) {
    return { ok: false, message: e.message };
  }
  const problems = [];
  const number = (name, { integer = true, zero = false } = {}) => {
    const v = Number(o[name]);
    const fine = Number.isFinite(v) && (zero ? v >= 0 : v > 0) && (!integer || Number.isInteger(v));
    if (!fine) problems.push(`--${name} must be a ${zero ? 'non-negative' : 'positive'} ${integer ? 'integer' : 'number'}`);
    return v;
  };
  const counts = o.streams ? o.streams.split(',').map((s) => Number(s.trim())) : [];
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) problems.push('--streams takes positive integers, e.g. --streams 1000,2000');
  const only = o.only?.split(',').map((s) => s.trim());
  const unknown = only?.filter((n) => !TARGETS.some((t) => t.name === n)) ?? [];
  if (unknown.length) problems.push(`unknown target(s) ${unknown.join(', ')}`);
  // Streams are measured against direct: it is always a target (it costs no process).
  if (only && !only.includes('direct')) only.unshift('direct');
  const wantsBase = only?.some((n) => TARGETS.find((t) => t.name === n)?.baseline) ?? false;
  if (wantsBase && !o.baseline) problems.push('targets base and base-tenant need --baseline DIR');
  if (o['streams-only'] && !counts.length) problems.push('--streams-only needs --streams N');
  const value = {
    help: o.help,
    rounds: number('rounds'),
    seconds: number('seconds'),
    connections: number('connections'),
    warmupSeconds: number('warmup', { integer: false }),
    only,
    counts,
    streamSeconds: number('stream-seconds', { integer: false }),
    intervalMs: number('stream-interval'),
    promptKiB: number('stream-prompt-kib', { zero: true }),
    promptScript: o['stream-prompt-script'],
    rampMs: number('ramp', { zero: true }),
    cadenceMs: number('cadence-ms', { integer: false }),
    streamRounds: number('stream-rounds'),
    streamsOnly: o['streams-only'],
    large: o.large,
    cpuProf: o['cpu-prof'],
    cpuIntervalUs: number('cpu-interval'),
    heap: o.heap,
    settleSeconds: number('settle', { integer: false, zero: true }),
    dir: o.dir,
    json: o.json,
    baseline: o.baseline,
    pin: !o['no-pin'],
  };
  if (!PROMPT_SCRIPTS.includes(value.promptScript))
    problems.push(`--stream-prompt-script must be one of ${PROMPT_SCRIPTS.join(', ')}, got ${JSON.stringify(value.promptScript)}`);
  if (value.promptKiB > 1000) problems.push('--stream-prompt-kib must be at most 1000 (the bench upstream takes bodies up to 1 MiB)');
  if (o.help) return { ok: true, value };
  return problems.length ? { ok: false, message: problems.join('; ') } : { ok: true, value };
}
