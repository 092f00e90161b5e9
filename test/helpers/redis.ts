/** A real redis-server for a test file, on its own free port; `redisAvailable` is false where none is installed. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './ports.js';
import { cleanupScope } from './cleanup.js';
import { parseProfile } from '../../src/profile/load.js';
import type { Profile } from '../../src/profile/schema.js';

export const redisAvailable = spawnSync('redis-server', ['--version']).status === 0;

export interface TestRedis {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function useRedis(): Promise<TestRedis> {
  const cleanupAfter = cleanupScope();
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  const r: TestRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await new Promise((res) => child.once('exit', res));
      }
    },
  };
  cleanupAfter(() => r.stop());
  return r;
}

/** The RESP command arrays at the start of `buf`, each as its arguments, and the bytes they took (a scripted Redis). */
export function respCommands(buf: Buffer): { args: string[][]; used: number } {
  const out: string[][] = [];
  let at = 0;
  for (;;) {
    const start = at;
    const line = () => {
      const end = buf.indexOf('\r\n', at);
      if (end < 0) return undefined;
      const text = buf.subarray(at, end).toString('latin1');
      at = end + 2;
      return text;
    };
    const head = line();
    if (head === undefined) return { args: out, used: start };
    const args: string[] = [];
    for (let i = 0, n = Number(head.slice(1)); i < n; i++) {
      const len = line();
      const size = Number(len?.slice(1));
      if (len === undefined || buf.length < at + size + 2) return { args: out, used: start };
      args.push(buf.subarray(at, at + size).toString('latin1'));
      at += size + 2;
    }
    out.push(args);
  }
}

/**
 * A scripted Redis (not listening yet): each RESP command read off a connection is answered with `answer(args)`,
 * its first argument (the command's name) in upper case.
 */
export function respServer(answer: (args: string[]) => string): Server {
  return createServer((socket: Socket) => {
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const { args, used } = respCommands(buf);
      buf = buf.subarray(used);
      for (const a of args) socket.write(answer([(a[0] ?? '').toUpperCase(), ...a.slice(1)]));
    });
  });
}

/**
 * A scripted Redis listening on a free loopback port, and a profile whose limits use it (tenant `t`, key `k`, 1000
 * requests a minute): for the tests of how the limiter reads what the store answers.
 */
export async function scriptedStoreProfile(server: Server): Promise<Profile> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const r = parseProfile(
    `version: 1
limits: { store: { redis: "redis://127.0.0.1:${port}", timeout: 2s } }
backends: { b: { url: "http://127.0.0.1:1" } }
models: { m: { targets: [{ backend: b }] } }
tenants:
  t: { keys: [k], limits: { rpm: 1000 } }
`,
    'p.yaml',
    {},
  );
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('; '));
  return r.profile;
}

/**
 * A TCP proxy to redis-server that can be taken down (every connection cut, new ones closed at once) and back up, or
 * frozen once the client's next write has passed: what either side sends from then on is dropped, as across a partition,
 * until the connections are cut.
 */
export async function redisProxy(
  port: number,
): Promise<{ url: string; down(): void; up(): void; freezeAfterNextWrite(): void; refused(): Promise<void> }> {
  const cleanupAfter = cleanupScope();
  const sockets = new Set<Socket>();
  let isDown = false;
  let frozen = false;
  let freezeNext = false;
  let onRefused: (() => void) | undefined;
  const server: Server = createServer((client) => {
    client.on('error', () => {});
    if (isDown) {
      onRefused?.();
      return void client.destroy();
    }
    const upstream = connect(port, '127.0.0.1');
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (d) => {
      if (frozen) return;
      upstream.write(d);
      if (freezeNext) frozen = true;
    });
    upstream.on('data', (d) => frozen || client.write(d));
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanupAfter(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    down() {
      isDown = true;
      frozen = freezeNext = false;
      for (const s of sockets) s.destroy();
    },
    up() {
      isDown = false;
    },
    freezeAfterNextWrite() {
      freezeNext = true;
    },
    /** Resolves at the next connection refused while down: a client that noticed the cut and reconnects. */
    refused() {
      return new Promise<void>((r) => (onRefused = r));
    },
  };
}
