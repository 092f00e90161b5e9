/**
 * `aigw bench`: load-tests a gateway (aigw or any OpenAI-compatible one) and proves what it does with long
 * answers, canary splits and token limits; `--assert` turns figures into a CI verdict (exit 1 on a failure),
 * `--compare` shows what changed between two runs, `--html` draws the results in one self-contained page.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BenchContext } from '../bench/context.js';
import { LiveFeed, liveLine } from '../bench/live.js';
import { type BenchOptions, parseBenchOptions, type RawBenchOptions } from '../bench/options.js';
import { Pacer } from '../bench/pacer.js';
import type { ProgressFeed } from '../bench/progress-view.js';
import { type BenchReport, compare, interruption, parseReport } from '../bench/report.js';
import { type Resolution, resolveTarget } from '../bench/resolve-target.js';
import { defaultScenarios, runBench, SCENARIOS } from '../bench/run.js';
import { CliError, exitCodes, reasonOf } from './run.js';
import { writeWhole } from './write-whole.js';

function readReport(file: string): BenchReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(
      `--compare ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
      exitCodes.usage,
    );
  }
  const r = parseReport(text);
  if (!r.ok) throw new CliError(`--compare ${file}: ${r.message}`, exitCodes.usage);
  return r.value;
}

async function writeHtml(file: string, report: BenchReport, baseline: BenchReport | undefined): Promise<void> {
  const { renderHtml } = await import('../bench/html-report.js');
  writeWhole(file, renderHtml(report, baseline), 0o666);
}

/**
 * --json and --html are written once the run is over: a path that cannot be written (in a directory that is not
 * there, a directory itself) is a usage error said before anything runs. Found after the load, it was 'unexpected
 * failure: ENOENT' after minutes of it, and neither report was written.
 */
function checkOutput(flag: string, file: string | undefined): void {
  if (!file) return;
  const st = statSync(file, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new CliError(`${flag} ${file}: is a directory`, exitCodes.usage);
  try {
    accessSync(st ? file : dirname(resolve(file)), constants.W_OK);
  } catch (e) {
    throw new CliError(`${flag} ${file}: cannot write: ${reasonOf(e)}`, exitCodes.usage);
  }
}

const OWN_FLEETS = 'bench: the routing scenarios start their own mocks and gateways, one fleet per strategy';

const notice = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** What a shell reports for a command a signal stopped: 128 + its number. */
const signalExit = (sig: NodeJS.Signals): number => (sig === 'SIGINT' ? exitCodes.interrupted : 143);

interface Interrupt {
  readonly signal: AbortSignal;
  /** The exit code the first signal calls for (130 for SIGINT, 143 for SIGTERM). */
  exitCode(): number;
  restore(): void;
}

/**
 * The first SIGINT or SIGTERM interrupts the run: the load stops and the report covers what ran (CI logs and
 * a user's Ctrl-C keep their figures); a second one exits at once (the exit stops what the bench started:
 * bench/target.ts). `restore` puts the default handling back.
 */
function interruptible(): Interrupt {
  const interrupt = new AbortController();
  let first: NodeJS.Signals = 'SIGINT';
  const onSignal = (sig: NodeJS.Signals) => {
    if (!interrupt.signal.aborted) {
      first = sig;
      notice(`${sig === 'SIGINT' ? 'Ctrl-C' : sig}: stopping the load and reporting what ran (again to stop at once)`);
      return interrupt.abort();
    }
    process.exit(signalExit(sig));
  };
  // The terminal is gone: nobody to report to; exiting runs the hook that stops what the bench started.
  const onHangup = () => process.exit(129);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onHangup);
  return {
    signal: interrupt.signal,
    exitCode: () => signalExit(first),
    restore: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHangup);
    },
  };
}

export async function run(raw: RawBenchOptions): Promise<number> {
  if ((raw.compare?.length ?? 0) > 2)
    throw new CliError('--compare takes one baseline, or two reports to compare without running', exitCodes.usage);
  checkOutput('--json', raw.json);
  checkOutput('--html', raw.html);
  if (raw.compare?.length === 2) {
    const [a, b] = raw.compare.map(readReport) as [BenchReport, BenchReport];
    const c = compare(a, b);
    process.stdout.write(`${c.lines.join('\n')}\n`);
    if (raw.html) await writeHtml(raw.html, b, a);
    return c.regressions ? exitCodes.failure : exitCodes.ok;
  }
  const baseline = raw.compare?.length === 1 ? readReport(raw.compare[0]!) : undefined;
  const parsed = parseBenchOptions(raw);
  if (!parsed.ok) throw new CliError(parsed.message, exitCodes.usage);
  const o: BenchOptions = parsed.value;
  for (const s of o.scenarios ?? [])
    if (!SCENARIOS[s]) throw new CliError(`unknown scenario "${s}" (${Object.keys(SCENARIOS).join(', ')})`, exitCodes.usage);
  // From before the target starts: a signal while it starts is heard, and what started is stopped.
  const interrupt = interruptible();
  try {
    return await benchTarget(raw, o, baseline, interrupt);
  } finally {
    interrupt.restore();
  }
}

async function benchTarget(
  raw: RawBenchOptions,
  o: BenchOptions,
  baseline: BenchReport | undefined,
  interrupt: Interrupt,
): Promise<number> {
  // The routing scenarios start their own fleets: with only those named, no target is resolved (or started).
  const ownFleets = !!o.scenarios?.length && o.scenarios.every((s) => SCENARIOS[s]!.ownFleet);
  const resolved: Resolution = ownFleets
    ? { ok: true, value: { target: { url: '', mocks: {} }, bp: undefined, apiKey: undefined, limitedKey: undefined, how: OWN_FLEETS } }
    : await resolveTarget({
        target: raw.target,
        config: raw.config,
        apiKey: raw.apiKey,
        model: o.model,
        mockAll: raw.mockAll,
      }).catch((e: Error) => {
        throw new CliError(e.message);
      });
  if (!resolved.ok) throw new CliError(resolved.message, exitCodes.usage);
  const t = resolved.value;
  process.stderr.write(`${t.how}\n`);
  if (interrupt.signal.aborted) {
    notice('interrupted before the first scenario: nothing measured');
    await t.stop?.();
    return interrupt.exitCode();
  }
  const isTty = process.stderr.isTTY === true;
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1)}s]`;
  const live = new LiveFeed();
  const feed: ProgressFeed = { scenarios: [], current: '', done: 0, line: 'starting', startedAt: t0, live: () => live.snapshot() };
  const ctx: BenchContext = {
    target: t.target,
    api: o.api,
    model: o.model,
    apiKey: t.apiKey,
    limitedKey: t.limitedKey,
    profile: t.bp?.profile,
    durationMs: o.durationMs,
    connections: o.connections,
    rate: o.rate,
    burstiness: o.burstiness,
    workload: o.workload,
    slo: o.slo,
    longSizes: o.longSizes,
    rampMax: o.rampMax,
    expect: o.expect,
    routing: o.routing,
    pacer: o.pace ? new Pacer(t.bp?.profile.limits.rateWindow ?? 60_000, notice) : undefined,
    live,
    progress: (line) => {
      feed.line = line;
      if (!isTty) process.stderr.write(`${stamp()} ${line}\n`);
    },
  };
  ctx.signal = interrupt.signal;
  // Off a terminal, the live figures every 2 s as plain lines (CI logs).
  const ticker = isTty ? undefined : setInterval(() => process.stderr.write(`${stamp()}   ${liveLine(live.snapshot())}\n`), 2000);
  try {
    const names = o.scenarios ?? defaultScenarios(ctx);
    feed.scenarios = names;
    const hide = isTty ? (await import('../bench/progress-view.js')).showProgress(() => feed) : undefined;
    let report: BenchReport;
    try {
      report = await runBench(ctx, names, o.asserts, (name, i) => {
        feed.current = name;
        feed.done = i;
      });
      feed.done = names.length;
    } finally {
      hide?.();
      if (ticker) clearInterval(ticker);
    }
    const via = ctx.api === 'anthropic' ? " in Anthropic's Messages API" : '';
    const out = [
      `\naigw bench — ${ctx.model} at ${t.target.url || 'fleets of its own'}${via} (${names.join(', ')})`,
      `  ${t.how.replace(/^bench: /, '')}`,
    ];
    if (o.workload) out.push(`  workload: ${o.workload.describe}`);
    const cut = interruption(report);
    if (cut) out.push(`  ${cut}`);
    for (const n of report.notices ?? []) out.push(`  rate limit: ${n}`);
    for (const s of Object.values(report.scenarios)) out.push(...s.lines);
    if (report.assertions.length) out.push('', ...report.assertions.map((v) => v.message));
    let regressions = 0;
    if (baseline) {
      const c = compare(baseline, report);
      regressions = c.regressions;
      out.push('', ...c.lines);
    }
    process.stdout.write(`${out.join('\n')}\n`);
    if (raw.json) writeWhole(raw.json, `${JSON.stringify(report, null, 2)}\n`, 0o666);
    if (raw.html) await writeHtml(raw.html, report, baseline);
    if (cut) return interrupt.exitCode();
    return report.assertions.every((v) => v.ok) && !regressions ? exitCodes.ok : exitCodes.failure;
  } finally {
    if (ticker) clearInterval(ticker);
    await t.stop?.();
  }
}
