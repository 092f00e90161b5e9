#!/usr/bin/env node
// npm run test:nodes — the suite as `npm test` runs it (its vitest part) under the other Node majors aigw supports:
// Node 20 is the one `npm test` used, this runs 22 and 24. Each comes from the npm registry, where the
// node-<platform>-<arch> packages hold the official binaries (npm checks their integrity), into
// node_modules/.cache/aigw-node/; a machine with only Node 20 and npm needs nothing else. A version is pinned
// so that a new release changes CI only when bumped here; an argument overrides them (a major: its newest at the
// first fetch, cached as that major from then on).
// Usage: node scripts/test-other-nodes.js [VERSION ...]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const PINNED = ['22.23.5', '24.22.3'];
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'node_modules', '.cache', 'aigw-node');
const versions = process.argv.slice(2).length ? process.argv.slice(2) : PINNED;

for (const v of versions) {
  if (!/^\d+(\.\d+\.\d+)?$/.test(v)) {
    console.error(`test:nodes: "${v}" is not a Node version (22, or 22.23.5)`);
    process.exit(2);
  }
}

/** Runs a command to its end; its exit code (a signal counts as a failure). */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}

/** The node binary of `version`, fetched once. */
function nodeBinary(version) {
  const dir = join(cache, `${process.platform}-${process.arch}-${version}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  // Unpacked beside it and renamed when whole: a run cut short leaves no half a binary to be taken for one.
  const part = `${dir}.part`;
  rmSync(part, { recursive: true, force: true });
  mkdirSync(part, { recursive: true });
  const pkg = `node-${process.platform}-${process.arch}@${version}`;
  console.log(`test:nodes: fetching ${pkg} from the npm registry`);
  if (run('npm', ['pack', pkg, '--pack-destination', part, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] }) !== 0)
    throw new Error(`npm pack ${pkg} failed`);
  const tgz = readdirSync(part).find((f) => f.endsWith('.tgz'));
  if (!tgz || run('tar', ['xzf', join(part, tgz), '-C', part]) !== 0) throw new Error(`could not unpack ${pkg}`);
  rmSync(join(part, tgz));
  if (!existsSync(join(part, 'package', 'bin', 'node'))) throw new Error(`${pkg} holds no bin/node`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(part, dir);
  return bin;
}

/**
 * vitest's lines that say what failed: on stdout, each failed file and test; on stderr, its summary of failures
 * (from "Failed Tests" or "Unhandled Errors" on). Bounded: the summary can hold a whole diff.
 */
const SUMMARY_START = /⎯ (Failed Tests|Unhandled )/;
const FAILED_LINE = /^\s*(×|✗|FAIL\s)|\d+ failed\)/;
const MAX_FAILURE_LINES = 80;

/** The suite under `env`'s Node: its output passed through as it comes, and the lines that say what failed. */
function runSuite(env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('npm', ['run', 'test:run'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const failures = [];
    const keep = (line) => {
      if (line !== '' && failures.length < MAX_FAILURE_LINES) failures.push(line);
    };
    let inSummary = false;
    // Failed tests named on stdout take at most half the lines: the summary's assertions and diffs come after them.
    let named = 0;
    readLines(child.stdout, process.stdout, (line) => {
      if (FAILED_LINE.test(line) && named++ < MAX_FAILURE_LINES / 2) keep(line);
    });
    readLines(child.stderr, process.stderr, (line) => {
      if (SUMMARY_START.test(line)) inSummary = true;
      if (inSummary) keep(line);
    });
    child.on('error', reject);
    // Ended at the child's exit, its output read to the end or for a few seconds more: a process a test left running
    // with the suite's stdout would hold the pipes open ('close' would never come) where inherited stdio did not.
    child.on('exit', (status, signal) => {
      const done = () => resolvePromise({ status, signal, failures });
      const late = setTimeout(done, 5000);
      child.on('close', () => {
        clearTimeout(late);
        done();
      });
    });
  });
}

/** Passes `from` through to `to`, and hands each of its lines, without colours, to `onLine`. */
function readLines(from, to, onLine) {
  let rest = '';
  // Decoded across reads: a character split between two reads (vitest's ⎯ and ×) is whole in one of them.
  from.setEncoding('utf8');
  from.on('data', (chunk) => {
    to.write(chunk);
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(stripVTControlCharacters(line).trimEnd());
  });
  from.on('end', () => {
    if (rest) onLine(stripVTControlCharacters(rest).trimEnd());
  });
}

const results = [];
for (const version of versions) {
  const bin = nodeBinary(version);
  const actual = (spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout ?? '').trim();
  if (!actual.startsWith(`v${version}`)) throw new Error(`${bin} says ${actual}, not v${version}`);
  console.log(`\ntest:nodes: the suite under Node ${actual}`);
  // First on PATH: npm, vitest's workers and every `node` a test starts run on this one.
  const env = { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH}` };
  // Not --silent: npm then says how the run ended (an exit code, or the signal that killed it), which a run that
  // dies without vitest's summary leaves nowhere else.
  const r = await runSuite(env);
  results.push({ actual, ok: r.status === 0, how: r.signal ? `killed by ${r.signal}` : `exit ${r.status}`, failures: r.failures });
}
// A CI log is often read from its end: what failed under an earlier Node, printed mid-log, is said again here.
for (const r of results) {
  if (r.ok || r.failures.length === 0) continue;
  console.log(`\ntest:nodes: what failed under Node ${r.actual} (from its output above):`);
  for (const line of r.failures) console.log(`  ${line}`);
}
console.log(`\ntest:nodes: ${results.map((r) => `${r.actual} ${r.ok ? 'passed' : `FAILED (${r.how})`}`).join(', ')}`);
process.exit(results.every((r) => r.ok) ? 0 : 1);
