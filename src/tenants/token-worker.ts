/**
 * Exact prompt token counts, off the event loop: one worker thread per gateway, started on the first count (only
 * an answer without usage needs one), the o200k ranks loaded then too. The main thread only posts and awaits. The
 * thread runs openai/tokens.ts's own `makeCounter` over openai/bpe.ts's `makeBpeEncoder`, both serialised, so it
 * needs no file path of ours: the same from compiled code and from source under tests. Its queue is bounded, and so
 * is the wait in it: past either, a request's prompt is estimated instead of waiting behind others.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { makeBpeEncoder } from '../openai/bpe.js';
import { type CountBudget, makeCounter, WORKER_BUDGET } from '../openai/tokens.js';
import type { PromptCount, PromptCounter } from './admission.js';
import { promptParts } from './prompt-bound.js';

/** Counts waiting or running at once; more are answered "not counted" at once. */
const MAX_QUEUE = 256;
/**
 * Counts handed to the thread at once: two, so that it starts the next as it answers one, without waiting for the
 * event loop. The rest wait here, one queue per key (a tenant), and the thread is handed the next count of each key in
 * turn, the key handed one last going after any other: a single queue in the thread's order made every tenant's count wait behind all of
 * one tenant's — a client keeping the queue full of count_tokens requests that each take the thread's whole budget had
 * every other tenant's count_tokens answers wait their whole bound (4 s) and come back as size estimates.
 */
const IN_THREAD = 2;
/**
 * How long a caller waits for its count, in counts of the budget's length: the time of two whole counts. The queue's
 * bound alone let a count wait behind 255 others of up to the budget each (4 Mi characters or 2 s; 4 Mi letters
 * without a space take ~0.9 s): a client sending count_tokens requests of ~4 MB of such text (each count kept after
 * the client left) held every other client's count_tokens answer for ~4 minutes, up to 8.5, and every settle that
 * counts with it, for as long as it kept the queue full.
 */
const WAIT_IN_COUNTS = 2;

/**
 * A prompt's value: as given, or read from the JSON body bytes of a PromptInBody — its `field`, or the whole body
 * when it names none. Self-contained, like answerText.
 */
export function promptValue(payload: unknown): unknown {
  const inBody = payload as { fromBody?: unknown; field?: unknown } | null;
  if (!inBody || !(inBody.fromBody instanceof Uint8Array)) return payload;
  try {
    const body = JSON.parse(new TextDecoder().decode(inBody.fromBody));
    if (body === null || typeof body !== 'object') return undefined;
    return typeof inBody.field === 'string' ? body[inBody.field] : body;
  } catch {
    return undefined;
  }
}

/**
 * The messages a chat prompt is counted as: a list is the messages already (count_tokens' turns); a chat request's
 * body is its messages after its tool definitions — `tools` and the legacy `functions`, as one system turn of their
 * JSON, as translate/count-tokens.ts counts an Anthropic request's — and vLLM's retrieval `documents`, likewise (each
 * as vLLM's `chat_template_kwargs` gives it, when it does). The backend's template renders them into the prompt:
 * counted from the messages alone, a stream left before its usage
 * with ~4,000 tokens of tool definitions (or of documents) was charged ~10 input tokens, and a tenant leaving each
 * stream at its first chunk had its prompts prefilled without limit under any tpm. Self-contained, like answerText.
 */
export function chatMessages(prompt: unknown): unknown[] {
  if (Array.isArray(prompt)) return prompt;
  if (prompt === null || typeof prompt !== 'object') return [];
  const { messages, tools, functions, documents, chat_template_kwargs } = prompt as {
    messages?: unknown;
    tools?: unknown;
    functions?: unknown;
    documents?: unknown;
    chat_template_kwargs?: unknown;
  };
  // vLLM updates its template's arguments with `chat_template_kwargs`: its `tools` and `documents` are rendered in place
  // of the request's. Read at the top level only, ~4,000 tokens of documents sent there were charged 8 when left early.
  const kw =
    chat_template_kwargs !== null && typeof chat_template_kwargs === 'object'
      ? (chat_template_kwargs as { tools?: unknown; documents?: unknown })
      : undefined;
  const out: unknown[] = [];
  for (const defs of [kw?.tools ?? tools, functions, kw?.documents ?? documents]) {
    if (!Array.isArray(defs) || defs.length === 0) continue;
    let json: string | undefined;
    try {
      json = JSON.stringify(defs);
    } catch {
      // Nested past what JSON.stringify can write: no template renders it either (the backend refuses it).
      json = undefined;
    }
    if (json !== undefined) out.push({ role: 'system', content: json });
  }
  // One by one: a spread puts each message on the stack as an argument.
  if (Array.isArray(messages)) for (const m of messages) out.push(m);
  return out;
}

/**
 * A completions request's prompt as its backend reads it: each prompt with the request's `suffix` after it — the text
 * after the insertion (OpenAI's legacy completions, Ollama), which the model reads, and its backend bills, as prompt.
 * A list the counter counts element by element (a string its text, a token id one, an array of ids its length); any
 * other value (an embedding's input) as it is. Counted from `prompt` alone, a stream of prompt "hi" and ~4,000 tokens
 * of suffix left at its first chunk was charged 1 input token. Self-contained, like answerText.
 */
export function completionPrompt(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  const { prompt, suffix } = body as { prompt?: unknown; suffix?: unknown };
  if (typeof suffix !== 'string' || suffix === '') return prompt;
  if (typeof prompt === 'string') return [prompt, suffix];
  if (!Array.isArray(prompt) || prompt.length === 0) return prompt;
  // One prompt of token ids; else a batch, each of its prompts (a string or token ids) followed by the suffix.
  if (typeof prompt[0] === 'number') return [prompt, suffix];
  const out: unknown[] = [];
  for (const one of prompt) out.push(one, suffix);
  return out;
}

/**
 * The text an answer generated (chat message content and reasoning, tool call arguments, completion text; an
 * Anthropic Message's text, thinking and tool inputs), from its JSON body. Self-contained: the worker runs it
 * serialised, like makeCounter. `request`: the completion request's body, when it asked for `echo` — each choice's
 * text then begins with its prompt (vLLM, OpenAI), which is left out: it is prompt, counted as input (charged as output
 * too, a 2,000-token prompt echoed cost 2,000 output tokens more than the answer generated).
 */
export function answerText(json: unknown, request?: unknown): string {
  let body: { choices?: unknown; type?: unknown; content?: unknown } | undefined;
  try {
    body = typeof json === 'string' ? JSON.parse(json) : undefined;
  } catch {
    if (typeof json !== 'string') return '';
    // Not whole JSON (an answer cut on its way): the generated strings as far as they came — not its names, ids
    // or logprobs. A text with none of them (not an answer of ours) is counted as it is.
    let text = '';
    for (const m of json.matchAll(/"(?:content|reasoning_content|reasoning|text|arguments|thinking)"\s*:\s*"((?:[^"\\]|\\.)*)/g))
      text += m[1];
    return text || json;
  }
  let out = '';
  // An Anthropic Message (an Anthropic backend's answer without usage): its blocks' text, thinking and tool inputs.
  // Known by its `content` array, not its `type`: the SDK reads a Message's fields by name and needs none (without
  // `type`, 4,000 words counted 0). A body with `choices` too has both counted.
  if (body && Array.isArray(body.content)) {
    for (const b of body.content as { type?: unknown; text?: unknown; thinking?: unknown; name?: unknown; input?: unknown }[]) {
      if (typeof b?.text === 'string') out += b.text;
      if (typeof b?.thinking === 'string') out += b.thinking;
      // tool_use and server_tool_use: the model wrote the input.
      if (b?.input !== undefined) out += (typeof b.name === 'string' ? b.name : '') + JSON.stringify(b.input);
    }
  }
  const choices = body && Array.isArray(body.choices) ? body.choices : [];
  const req = request as { echo?: unknown; prompt?: unknown; n?: unknown } | null | undefined;
  const prompts = req?.echo !== true ? [] : typeof req.prompt === 'string' ? [req.prompt] : Array.isArray(req.prompt) ? req.prompt : [];
  // A batch's choices come prompt by prompt, n of each (vLLM numbers them so).
  const perPrompt = typeof req?.n === 'number' && req.n >= 1 ? Math.floor(req.n) : 1;
  for (const c of choices as {
    message?: { content?: unknown; tool_calls?: unknown; reasoning_content?: unknown; reasoning?: unknown };
    text?: unknown;
    index?: unknown;
  }[]) {
    if (typeof c?.text === 'string') {
      const echoed = prompts[typeof c.index === 'number' ? Math.floor(c.index / perPrompt) : 0];
      out += typeof echoed === 'string' && echoed && c.text.startsWith(echoed) ? c.text.slice(echoed.length) : c.text;
    }
    // The reasoning a backend returns beside the answer (vLLM's reasoning parsers, DeepSeek): generated tokens too.
    const reasoning = c?.message?.reasoning_content ?? c?.message?.reasoning;
    if (typeof reasoning === 'string') out += reasoning;
    const content = c?.message?.content;
    if (typeof content === 'string') out += content;
    else if (Array.isArray(content)) for (const part of content) if (typeof part?.text === 'string') out += part.text;
    const calls = c?.message?.tool_calls;
    if (Array.isArray(calls))
      for (const t of calls) if (typeof t?.function?.arguments === 'string') out += t.function.name + t.function.arguments;
  }
  return out;
}

/** The o200k ranks' CommonJS file, as an absolute path: eval'd worker code would otherwise resolve from the working directory. */
function ranksPath(): string {
  return createRequire(import.meta.url).resolve('js-tiktoken/ranks/o200k_base');
}

function workerSource(budget: CountBudget): string {
  return `
const { parentPort } = require('node:worker_threads');
const makeBpeEncoder = ${makeBpeEncoder.toString()};
const makeCounter = ${makeCounter.toString()};
const answerText = ${answerText.toString()};
const promptValue = ${promptValue.toString()};
const chatMessages = ${chatMessages.toString()};
const completionPrompt = ${completionPrompt.toString()};
const promptParts = ${promptParts.toString()};
let counter;
parentPort.on('message', ({ id, kind, payload, until }) => {
  // Its caller stopped waiting (the count waited behind others too long): answered at once, not counted.
  if (Date.now() > until) return parentPort.postMessage({ id, n: undefined, exact: false });
  try {
    if (!counter) {
      // Required, then dropped from the cache: once the tables are built, the file's 2 MB of text can be collected.
      const path = ${JSON.stringify(ranksPath())};
      const ranks = require(path);
      delete require.cache[path];
      counter = makeCounter(makeBpeEncoder(ranks), ${JSON.stringify(budget)});
    }
    const prompt = kind === 'completion' ? undefined : promptValue(payload);
    const n = kind === 'chat' ? counter.chat(chatMessages(prompt))
      : kind === 'completion' ? counter.text(typeof payload === 'string' ? answerText(payload) : answerText(payload.answer, promptValue(payload.request)))
      : counter.prompt(completionPrompt(prompt) ?? '');
    // The parts of the messages the count above cannot read (images, audio, files, video: no text), which the caller
    // may charge: a chat body's messages, or count_tokens' turns (which carry none).
    const messages = prompt !== null && typeof prompt === 'object' && !Array.isArray(prompt) ? prompt.messages : prompt;
    const parts = kind === 'chat' ? promptParts(messages) : undefined;
    const untexted = parts ? parts.media + parts.other : 0;
    parentPort.postMessage({ id, n, exact: counter.exact, untexted });
  } catch (e) {
    parentPort.postMessage({ id, n: undefined, exact: false });
  }
});
`;
}

interface Waiting {
  resolve: (c: PromptCount | undefined) => void;
  timer: NodeJS.Timeout | undefined;
}

/** A count not handed to the thread yet. */
interface Job {
  id: number;
  kind: 'chat' | 'prompt' | 'completion';
  payload: unknown;
  until: number;
}

export class TokenWorker implements PromptCounter {
  private worker: Worker | undefined;
  private nextId = 0;
  /** Callers still waiting for their count, by id. */
  private readonly waiting = new Map<number, Waiting>();
  /**
   * Counts taken and not answered by the thread, waiting here or in it: what MAX_QUEUE bounds. A caller that stopped
   * waiting still holds its place until its count is skipped (here, or by the thread at once, uncounted).
   */
  private posted = 0;
  /** Counts handed to the thread and not answered yet (at most IN_THREAD). */
  private inThread = 0;
  /** Counts not handed to the thread yet, by key; a Map keeps the keys in turn (a key served goes last). */
  private readonly jobs = new Map<string, Job[]>();
  /** The key whose count was handed to the thread last: another key's goes first (see IN_THREAD). */
  private lastKey: string | undefined;

  constructor(
    private readonly budget: CountBudget = WORKER_BUDGET,
    /** The longest a caller waits for its count (ms); then it is answered "not counted". */
    readonly maxWaitMs = WAIT_IN_COUNTS * budget.maxMs,
  ) {}

  /**
   * Starts the thread (a few ms and ~10 MiB; the ranks, ~15 MiB, load on its first count). Counts happen
   * in the settle stage, after the answer, so starting it on demand costs no client any latency.
   */
  start(): void {
    this.worker ??= this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(workerSource(this.budget), { eval: true });
    w.unref();
    w.on('message', ({ id, n, exact, untexted }: { id: number; n: number | undefined; exact: boolean; untexted?: number }) => {
      if (this.posted > 0) this.posted--;
      if (this.inThread > 0) this.inThread--;
      this.answer(id, n === undefined ? undefined : untexted ? { tokens: n, exact, untexted } : { tokens: n, exact });
      this.pump();
    });
    w.on('error', () => this.failAll());
    w.on('exit', () => {
      if (this.worker === w) this.worker = undefined;
      this.failAll();
    });
    return w;
  }

  /** Its caller gets `c`, once (an answer for a caller that stopped waiting is dropped). */
  private answer(id: number, c: PromptCount | undefined): void {
    const w = this.waiting.get(id);
    if (!w) return;
    this.waiting.delete(id);
    clearTimeout(w.timer);
    w.resolve(c);
  }

  private failAll(): void {
    for (const id of [...this.waiting.keys()]) this.answer(id, undefined);
    this.jobs.clear();
    this.posted = 0;
    this.inThread = 0;
  }

  /**
   * A caller waited its bound: answered "not counted", and its count, if not handed to the thread yet, leaves the queue
   * at once with its payload (a count_tokens body's turns), not when its turn comes behind a long count.
   */
  private expire(id: number, key: string): void {
    this.answer(id, undefined);
    const queue = this.jobs.get(key);
    const at = queue ? queue.findIndex((j) => j.id === id) : -1;
    if (at < 0) return;
    queue!.splice(at, 1);
    if (queue!.length === 0) this.jobs.delete(key);
    if (this.posted > 0) this.posted--;
  }

  /** Hands the thread the next count of the next key in turn, while it holds fewer than IN_THREAD. */
  private pump(): void {
    while (this.inThread < IN_THREAD && this.worker) {
      let next: [string, Job[]] | undefined;
      for (const entry of this.jobs) {
        next ??= entry;
        if (entry[0] !== this.lastKey) {
          next = entry;
          break;
        }
      }
      if (!next) return;
      const [key, queue] = next;
      const job = queue.shift()!;
      // This key's turn is over: it goes after every other key waiting.
      this.jobs.delete(key);
      if (queue.length > 0) this.jobs.set(key, queue);
      // Its caller stopped waiting: answered already, never handed over.
      if (!this.waiting.has(job.id)) {
        if (this.posted > 0) this.posted--;
        continue;
      }
      this.inThread++;
      this.lastKey = key;
      this.worker.postMessage(job);
    }
  }

  /**
   * At the queue's bound, a key with fewer counts waiting than the key with the most takes the place of that key's
   * newest (its caller answered "not counted", as it would have been had it come last). The bound refused whoever came
   * last: one client keeping the queue full had every other tenant's counts refused at once — estimated from their size,
   * charged so, and their count_tokens answered so — however the turns would have served them.
   */
  private makeRoom(key: string): boolean {
    const mine = this.jobs.get(key)?.length ?? 0;
    let most: Job[] | undefined;
    for (const queue of this.jobs.values()) if (most === undefined || queue.length > most.length) most = queue;
    if (most === undefined || most.length <= mine + 1) return false;
    const dropped = most.pop()!;
    if (this.posted > 0) this.posted--;
    this.answer(dropped.id, undefined);
    return true;
  }

  /** Counts taken and not answered by the thread yet (for tests and stats). */
  get queued(): number {
    return this.posted;
  }

  /**
   * Exact prompt tokens of a chat (OpenAI's framing) or a prompt/input, or undefined if not counted: the queue is full,
   * or the count was not done within maxWaitMs (the thread then skips it). `key`: whose count (a tenant; see IN_THREAD).
   */
  count(kind: 'chat' | 'prompt' | 'completion', payload: unknown, key: string | undefined = ''): Promise<PromptCount | undefined> {
    if (this.posted >= MAX_QUEUE && !this.makeRoom(key)) return Promise.resolve(undefined);
    this.start();
    const id = this.nextId++;
    const until = Date.now() + this.maxWaitMs;
    return new Promise((resolve) => {
      // Unref'd: a stopping gateway does not stay up for a count nobody will read. (No bound: no timer.)
      const timer = Number.isFinite(this.maxWaitMs) ? setTimeout(() => this.expire(id, key), this.maxWaitMs).unref() : undefined;
      this.waiting.set(id, { resolve, timer });
      this.posted++;
      const queue = this.jobs.get(key);
      if (queue) queue.push({ id, kind, payload, until });
      else this.jobs.set(key, [{ id, kind, payload, until }]);
      this.pump();
    });
  }

  async stop(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
    // Counts still pending will never come: settle them as "unknown" so no request waits forever.
    this.failAll();
  }
}
