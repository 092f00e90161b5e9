/**
 * What the load scenarios send: their own small default requests, a synthetic workload (input and output
 * lengths drawn from fixed, uniform or normal distributions), or a JSONL file of real prompts — with
 * multi-turn conversations, where each turn waits for the previous answer and carries the history.
 */
import { z } from 'zod';
import { Rng } from '../core/hash.js';
import { generateText } from '../mock/text.js';
import { ChatMessage } from '../openai/wire.js';

/** One request ready to send: its body (the driver adds `stream`) and what the bench needs to judge it. */
export interface Prepared {
  body: Record<string, unknown>;
  /** Tokens a gateway may reserve for it (prompt bytes / 3 + max_tokens, aigw's reservation): pacing under a TPM limit. */
  cost: number;
  /** Called with the answer's text (multi-turn conversations continue from it). */
  answered?(ok: boolean, text: string | undefined): void;
  /** Whether the answer's text is needed (conversations). */
  wantsText?: boolean;
}

/** Hands out requests; undefined when every remaining turn waits for an answer. */
export interface RequestSource {
  next(): Prepared | undefined;
}

export interface Workload {
  /** One line for the report: where the requests come from. */
  describe: string;
  source(model: string): RequestSource;
}

/** The token reservation aigw makes for a body (and an upper bound for other gateways' estimates). */
export function reservation(body: Record<string, unknown>, bytes: number): number {
  const max = Number(body.max_tokens ?? body.max_completion_tokens ?? 1024);
  return Math.ceil(bytes / 3) + (Number.isFinite(max) ? max : 1024);
}

export function prepared(body: Record<string, unknown>, extra: Partial<Prepared> = {}): Prepared {
  return { body, cost: reservation(body, JSON.stringify(body).length), ...extra };
}

/** The same kind of request, numbered: the scenarios' defaults. */
export function fixedSource(make: (i: number) => Record<string, unknown>): RequestSource {
  let i = 0;
  return { next: () => prepared(make(i++)) };
}

// ---------- synthetic lengths ----------

export type LengthDist =
  | { kind: 'fixed'; n: number }
  | { kind: 'uniform'; min: number; max: number }
  | { kind: 'normal'; mean: number; std: number };

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const LENGTH_FORMS = 'N, fixed:N, uniform:MIN-MAX or normal:MEAN,STD';
const MAX_LENGTH = 10_000_000;

/** `128`, `fixed:128`, `uniform:64-256`, `normal:128,32` (token counts). */
export function parseLength(spec: string): Parsed<LengthDist> {
  const int = (s: string | undefined) => (s !== undefined && /^\d+$/.test(s.trim()) ? Number(s) : Number.NaN);
  const [kind, rest] = spec.includes(':') ? (spec.split(':', 2) as [string, string]) : ['fixed', spec];
  let d: LengthDist | undefined;
  if (kind === 'fixed') d = { kind, n: int(rest) };
  else if (kind === 'uniform') {
    const [a, b] = rest.split(/[-,]/);
    d = { kind, min: int(a), max: int(b) };
  } else if (kind === 'normal') {
    const [a, b] = rest.split(',');
    d = { kind, mean: int(a), std: int(b) };
  }
  const values = d ? Object.values(d).filter((v): v is number => typeof v === 'number') : [];
  if (!d || values.some((v) => !Number.isFinite(v)))
    return { ok: false, message: `expected a length such as ${LENGTH_FORMS}, got "${spec}"` };
  if (values.some((v) => v > MAX_LENGTH)) return { ok: false, message: `"${spec}": lengths go up to ${MAX_LENGTH} tokens` };
  if ((d.kind === 'fixed' && d.n < 1) || (d.kind === 'uniform' && (d.min < 1 || d.max < d.min)) || (d.kind === 'normal' && d.mean < 1))
    return { ok: false, message: `"${spec}": lengths are at least 1 token (and uniform needs MIN <= MAX)` };
  return { ok: true, value: d };
}

export function sampleLength(d: LengthDist, rng: Rng): number {
  switch (d.kind) {
    case 'fixed':
      return d.n;
    case 'uniform':
      return d.min + Math.floor(rng.float() * (d.max - d.min + 1));
    case 'normal': {
      const z = Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
      return Math.max(1, Math.round(d.mean + d.std * z));
    }
  }
}

export const describeLength = (d: LengthDist) =>
  d.kind === 'fixed' ? `${d.n}` : d.kind === 'uniform' ? `uniform ${d.min}-${d.max}` : `normal(${d.mean}, ${d.std})`;

/** Prompts of about `input` tokens (words of the mocks' vocabulary, one o200k token each) asking for `output` tokens. */
export function syntheticWorkload(input: LengthDist, output: LengthDist, seed = 1): Workload {
  return {
    describe: `synthetic: input ${describeLength(input)} tokens, output ${describeLength(output)} tokens`,
    source(model) {
      const rng = new Rng(seed);
      let i = 0;
      return {
        next: () => {
          const n = sampleLength(input, rng);
          const content = generateText(`synthetic prompt ${i++}`, seed, n);
          return prepared({ model, messages: [{ role: 'user', content }], max_tokens: sampleLength(output, rng) });
        },
      };
    },
  };
}

// ---------- JSONL files ----------

const WorkloadLine = z
  .looseObject({
    prompt: z.string().optional(),
    messages: z.array(ChatMessage).min(1).optional(),
    max_tokens: z.int().min(1).max(MAX_LENGTH).optional(),
    conversation_id: z.union([z.string().min(1), z.int()]).optional(),
  })
  .refine((l) => (l.prompt === undefined) !== (l.messages === undefined), 'expected exactly one of "prompt" or "messages"');
export type WorkloadLine = z.infer<typeof WorkloadLine>;

const MAX_PROBLEMS = 10;
/**
 * The issues said of one line: zod reports every element of an array, and a line of 100,000 messages that are not
 * objects made a problem of 100,000 issues (~6 MB on stderr; ten such lines past what a string holds).
 */
const MAX_LINE_ISSUES = 3;

function lineIssues(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const said = issues.slice(0, MAX_LINE_ISSUES).map((x) => `${x.path.map(String).join('.') || 'line'}: ${x.message}`);
  const more = issues.length - said.length;
  return `${said.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}`;
}

/** Every line checked; problems name the file and line. A UTF-8 byte-order mark before the first is no part of it. */
export function parseWorkload(text: string, file: string): Parsed<WorkloadLine[]> {
  const lines: WorkloadLine[] = [];
  const problems: string[] = [];
  // Editors on Windows save UTF-8 with a BOM: JSON.parse refused the first line ('Unexpected token').
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  body.split(/\r?\n/).forEach((raw, i) => {
    if (!raw.trim() || problems.length >= MAX_PROBLEMS) return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      problems.push(`${file}:${i + 1}: not JSON (${(e as Error).message.slice(0, 80)})`);
      return;
    }
    const r = WorkloadLine.safeParse(json);
    if (r.success) lines.push(r.data);
    else problems.push(`${file}:${i + 1}: ${lineIssues(r.error.issues)}`);
  });
  if (problems.length) return { ok: false, message: problems.join('\n') };
  if (!lines.length) return { ok: false, message: `${file}: no requests (one JSON object per line: {"prompt": …, "max_tokens": …})` };
  return { ok: true, value: lines };
}

type Message = { role: string; content: unknown };

interface Slot {
  turns: WorkloadLine[];
  turn: number;
  history: Message[];
}

const turnMessages = (l: WorkloadLine): Message[] => (l.messages as Message[] | undefined) ?? [{ role: 'user', content: l.prompt }];

/**
 * Lines in file order, cycled for as long as the run lasts. Lines with the same `conversation_id` are the
 * turns of one conversation: each is sent after the previous answer, with the history before it.
 */
export function fileWorkload(lines: readonly WorkloadLine[], file: string): Workload {
  const conversations = new Set(lines.filter((l) => l.conversation_id !== undefined).map((l) => String(l.conversation_id)));
  return {
    describe: `${file}: ${lines.length} requests${conversations.size ? `, ${conversations.size} conversations` : ''}`,
    source(model) {
      const slots: Slot[] = [];
      const byId = new Map<string, Slot>();
      for (const l of lines) {
        const id = l.conversation_id === undefined ? undefined : String(l.conversation_id);
        const existing = id === undefined ? undefined : byId.get(id);
        if (existing) existing.turns.push(l);
        else {
          const slot: Slot = { turns: [l], turn: 0, history: [] };
          slots.push(slot);
          if (id !== undefined) byId.set(id, slot);
        }
      }
      const ready = [...slots];
      return {
        next: () => {
          const slot = ready.shift();
          if (!slot) return undefined;
          const line = slot.turns[slot.turn]!;
          const messages = [...slot.history, ...turnMessages(line)];
          const body: Record<string, unknown> = { model, messages, ...(line.max_tokens ? { max_tokens: line.max_tokens } : {}) };
          if (slot.turns.length === 1) {
            ready.push(slot);
            return prepared(body);
          }
          return prepared(body, {
            wantsText: true,
            answered: (ok, text) => {
              slot.turn++;
              slot.history = [...messages, { role: 'assistant', content: text ?? '' }];
              if (!ok || slot.turn >= slot.turns.length) {
                slot.turn = 0;
                slot.history = [];
              }
              ready.push(slot);
            },
          });
        },
      };
    },
  };
}
