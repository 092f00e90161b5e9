/** Raw keep-alive connections and a process's descriptors, for the tests of a gateway at its open-file limit. */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';

/** A chat request for model `m` as raw HTTP/1.1, to write on a kept-alive connection. */
const CHAT = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
export const CHAT_REQUEST = `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${CHAT.length}\r\n\r\n${CHAT}`;

/** A TCP connection to a URL's host and port, once connected. */
export function openConnection(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.on('error', reject);
  });
}

/** One request written on a kept-alive connection, and its answer (a content-length body). */
export function requestOn(s: Socket, text: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const head = got.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(head.slice(0, end))?.[1] ?? 0);
      if (got.length < end + 4 + length) return;
      s.off('data', onData);
      resolve({ status: Number(head.slice(9, 12)), body: got.subarray(end + 4, end + 4 + length).toString() });
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error(`closed after ${JSON.stringify(got.toString('latin1'))}`)));
    s.write(text);
  });
}

/** How many descriptors a process holds (Linux). */
export const openFds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

/** Whether util-linux's prlimit is here to start a process under a lower open-file limit. */
export const hasPrlimit = ((): boolean => {
  try {
    execFileSync('prlimit', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

/** `n` connections to `url` that never send a request, and how many the server has closed so far. */
export async function idleConnections(url: string, n: number): Promise<{ sockets: Socket[]; closed: () => number }> {
  const sockets: Socket[] = [];
  let closed = 0;
  for (let i = 0; i < n; i++) {
    const s = await openConnection(url).catch(() => undefined);
    if (!s) continue;
    s.on('error', () => {});
    s.on('close', () => closed++);
    sockets.push(s);
  }
  return { sockets, closed: () => closed };
}
