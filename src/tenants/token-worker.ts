/**
 * Exact prompt token counts, off the event loop: a worker thread with js-tiktoken, started with the gateway
 * (ranks load on first use: only when an answer carries no usage). The main thread only posts and awaits.
 */
import { Worker } from 'node:worker_threads';

let worker: Worker | undefined;
let nextId = 0;
const pending = new Map<number, (n: number | undefined) => void>();

/** The compiled counter (dist/), so the worker runs the same from src/ under tests and from dist/. */
const COUNTER_URL = new URL('../../dist/openai/tokens.js', import.meta.url).href;

const SOURCE = `
const { parentPort } = require('node:worker_threads');
let counter;
parentPort.on('message', async ({ id, kind, payload }) => {
  try {
    counter ??= await (await import(${JSON.stringify(COUNTER_URL)})).loadTokenCounter();
    const n = kind === 'chat' ? counter.chat(payload) : counter.prompt(payload);
    parentPort.postMessage({ id, n });
  } catch (e) {
    parentPort.postMessage({ id, n: undefined });
  }
});
`;

function start(): Worker {
  const w = new Worker(SOURCE, { eval: true });
  w.unref();
  w.on('message', ({ id, n }: { id: number; n: number | undefined }) => {
    pending.get(id)?.(n);
    pending.delete(id);
  });
  w.on('error', () => {
    for (const done of pending.values()) done(undefined);
    pending.clear();
    worker = undefined;
  });
  return w;
}

/**
 * Starts the thread ahead of need (a few ms and ~10 MiB; the ~140 MiB of ranks load only on first use, in
 * the worker), so the first count never pays thread start-up on a request's event-loop turn.
 */
export function startTokenWorker(): void {
  worker ??= start();
}

/** Exact prompt tokens of a chat (OpenAI's framing) or a prompt/input, or undefined if counting failed. */
export function countPromptTokens(kind: 'chat' | 'prompt', payload: unknown): Promise<number | undefined> {
  worker ??= start();
  const id = nextId++;
  return new Promise((resolve) => {
    pending.set(id, resolve);
    worker!.postMessage({ id, kind, payload });
  });
}

export async function stopTokenWorker(): Promise<void> {
  const w = worker;
  worker = undefined;
  await w?.terminate();
  // Counts still pending will never come: settle them as "unknown" so no request waits forever.
  for (const done of pending.values()) done(undefined);
  pending.clear();
}
