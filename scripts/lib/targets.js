// Processes under measurement: started (pinned when taskset exists) on ports chosen beforehand and ready once every
// port accepts a connection, so stdout can go to /dev/null (where aigw --log json writes); stderr goes to a file
// shown when a process fails. Every process started here is killed, by pid, when the bench exits.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pinned } from './load.js';
import { processTree, treeCpuSeconds, treeRssBytes } from './proc-stats.js';

const started = new Set();
process.on('exit', () => {
  for (const pid of started) for (const p of processTree(pid).reverse()) tryKill(p, 'SIGKILL');
});

function tryKill(pid, signal) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function accepts(port) {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '';
  }
}

/**
 * Starts `cmd args` and resolves once every port in `ports` accepts connections. `ipc` opens a channel for
 * gateway-probe.js. The result measures the whole process tree (CPU seconds, RSS bytes).
 */
export async function startProcess({ name, cmd, args, cpu, ports, dir, ipc = false, stopSignal = 'SIGKILL', readyMs = 20_000 }) {
  const errFile = join(dir, `${name}.stderr`);
  const err = openSync(errFile, 'w');
  const out = openSync('/dev/null', 'w');
  const [c, a] = cpu === undefined ? [cmd, args] : pinned(cpu, cmd, args);
  const child = spawn(c, a, { stdio: ['ignore', out, err, ...(ipc ? ['ipc'] : [])] });
  closeSync(out);
  closeSync(err);
  started.add(child.pid);
  let exited;
  child.once('exit', (code, signal) => {
    exited = `exited (code ${code}, signal ${signal})`;
    started.delete(child.pid);
  });
  const deadline = Date.now() + readyMs;
  for (const port of ports) {
    while (!(await accepts(port))) {
      if (exited || Date.now() > deadline) {
        tryKill(child.pid, 'SIGKILL');
        throw new Error(`${name} ${exited ?? `not listening on ${port} after ${readyMs} ms`}; its stderr:\n${tail(errFile)}`);
      }
      await sleep(50);
    }
  }

  const pending = new Map();
  let nextId = 1;
  if (ipc) {
    child.on('message', (m) => {
      const p = pending.get(m?.probeReply);
      if (!p) return;
      pending.delete(m.probeReply);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(`${name} probe: ${m.error}`));
    });
  }
  const pid = child.pid;
  return {
    name,
    pid,
    errFile,
    cpuSeconds: () => treeCpuSeconds(pid),
    rssBytes: () => treeRssBytes(pid),
    /** Asks gateway-probe.js inside the process; undefined when the process has no probe. */
    probe: ipc
      ? (what, extra = {}, timeoutMs = 120_000) =>
          new Promise((resolve, reject) => {
            const id = nextId++;
            const timer = setTimeout(() => {
              pending.delete(id);
              reject(new Error(`${name} probe ${what}: no answer in ${timeoutMs} ms`));
            }, timeoutMs);
            pending.set(id, { resolve, reject, timer });
            child.send({ ...extra, probe: what, id });
          })
      : undefined,
    alive: () => exited === undefined,
    /**
     * Freezes the process tree (SIGSTOP) while another target is measured on the same core, and thaws it: an idle
     * gateway still runs its last load's aftermath (keep-alive sockets timing out, V8's memory reducer), 40–180 ms
     * of CPU in bursts during the next target's 10 s of 1,000 streams, which that target was charged for.
     */
    pause: () => {
      if (!exited) for (const p of processTree(pid)) tryKill(p, 'SIGSTOP');
    },
    resume: () => {
      if (!exited) for (const p of processTree(pid)) tryKill(p, 'SIGCONT');
    },
    async stop() {
      if (exited) return;
      const tree = processTree(pid);
      for (const p of tree) tryKill(p, 'SIGCONT'); // a paused process would not see the stop signal
      const gone = new Promise((r) => child.once('exit', r));
      tryKill(pid, stopSignal);
      if (await Promise.race([gone.then(() => true), sleep(5000).then(() => false)])) {
        for (const p of tree.slice(1)) tryKill(p, 'SIGKILL'); // workers a master left behind
        return;
      }
      for (const p of tree.reverse()) tryKill(p, 'SIGKILL');
      await gone;
    },
  };
}
