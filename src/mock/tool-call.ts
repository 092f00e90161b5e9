/**
 * Tool-use answers on a `[[mock tool=NAME]]` directive: the mock "calls" tool NAME with arguments that are
 * a documented function of the prompt and seed — for each of the first 16 properties of the tool's schema
 * whose name is at most 256 characters, by its type: an enum's value (one of at most 256 characters of JSON;
 * a larger one gives the type's value), a string of 1–3 vocabulary words, an integer below 100, a number with
 * two decimals, a boolean; arrays and objects empty; anything else null. Written after the time to first
 * token; streamed with backpressure, each event built as it is written.
 */
import type { ServerResponse } from 'node:http';
import { mix32, Rng } from '../core/hash.js';
import { parseDirective, shown } from './controls.js';
import type { Fault } from './controls.js';
import { sleepUnlessClosed } from './http.js';
import { faultDue, Sender } from './respond-completion.js';
import type { MockStats } from './stats.js';
import { TokenSource } from './text.js';
import { prefixWithin } from './token-prefix.js';

export interface ToolSpec {
  name: string;
  schema: unknown;
}

const MAX_PROPERTIES = 16;
/**
 * The most a property name or an enum value may take (in characters of JSON, about) to be copied from the
 * schema into the arguments. Each argument fragment becomes a ~200-byte event: a 20 MiB enum value, copied
 * whole, made 1.7 million of them and held the mock for minutes. Real schemas' names and enum values are
 * far shorter; a longer name's property is left out, a larger enum value is replaced by its type's value.
 */
export const MAX_COPIED_CHARS = 256;

/**
 * The tool a directive asks for: undefined without `tool=`, a message when the request does not declare it
 * (a model can only call a tool it was given).
 */
export function requestedTool(directiveText: string | undefined, tools: readonly ToolSpec[]): ToolSpec | string | undefined {
  if (!directiveText?.includes('[[mock')) return undefined;
  const name = parseDirective(directiveText).tool;
  if (name === undefined) return undefined;
  const tool = tools.find((t) => t.name === name);
  if (tool) return tool;
  // Quoted within bounds: the name runs to the next space and the request may declare any number of tools.
  const declared =
    tools
      .slice(0, 16)
      .map((t) => shown(t.name))
      .join(', ') || 'none';
  return `mock control: tool=${shown(name)} is not among the request's tools (${declared}${tools.length > 16 ? ', …' : ''})`;
}

/** OpenAI's `tools` ([{type:"function", function:{name, parameters}}]) as specs. */
export function openAITools(tools: unknown): ToolSpec[] {
  if (!Array.isArray(tools)) return [];
  const out: ToolSpec[] = [];
  for (const t of tools) {
    const fn = (t as { function?: { name?: unknown; parameters?: unknown } } | null)?.function;
    if (typeof fn?.name === 'string') out.push({ name: fn.name, schema: fn.parameters });
  }
  return out;
}

/** Anthropic's `tools` ([{name, input_schema}]) as specs. */
export function anthropicTools(tools: readonly { name: string; input_schema?: unknown }[] | undefined): ToolSpec[] {
  return (tools ?? []).map((t) => ({ name: t.name, schema: t.input_schema }));
}

/** The arguments (JSON text) of the call; `state`: the answer's text seed. */
export function toolArguments(schema: unknown, state: number): string {
  const props = (schema as { properties?: unknown } | null)?.properties;
  const out: Record<string, unknown> = {};
  if (!props || typeof props !== 'object' || Array.isArray(props)) return '{}';
  const rng = new Rng(mix32(state, 0x9e3779b9));
  const words = new TokenSource(state);
  for (const [key, prop] of Object.entries(props).slice(0, MAX_PROPERTIES)) {
    if (key.length <= MAX_COPIED_CHARS) out[key] = valueFor(prop, rng, words);
  }
  return JSON.stringify(out);
}

function valueFor(prop: unknown, rng: Rng, words: TokenSource): unknown {
  const p = (prop ?? {}) as { type?: unknown; enum?: unknown };
  if (Array.isArray(p.enum) && p.enum.length) {
    const picked: unknown = p.enum[rng.next() % p.enum.length];
    if (fits(picked, MAX_COPIED_CHARS)) return picked;
  }
  const type = Array.isArray(p.type) ? p.type.find((t) => t !== 'null') : p.type;
  switch (type) {
    case 'string': {
      const n = 1 + (rng.next() % 3);
      let s = '';
      for (let i = 0; i < n; i++) s += words.next().toString('utf8');
      return s.trim();
    }
    case 'integer':
      return rng.next() % 100;
    case 'number':
      return (rng.next() % 10_000) / 100;
    case 'boolean':
      return (rng.next() & 1) === 1;
    case 'array':
      return [];
    case 'object':
      return {};
    default:
      return null;
  }
}

/**
 * Whether `value`'s JSON is at most about `budget` characters (escapes not counted). Stops as soon as the
 * budget is spent, so a huge value costs no more than a small one (every level costs 2, so depth is bounded too).
 */
function fits(value: unknown, budget: number): boolean {
  let left = budget;
  const walk = (v: unknown): boolean => {
    if (typeof v === 'string') left -= v.length + 2;
    else if (v === null || typeof v !== 'object') left -= String(v).length;
    else if (Array.isArray(v)) {
      // Each level pays before it descends: 200,000 nested arrays stop after budget / 2 levels, not at the stack's end.
      if ((left -= 2) < 0) return false;
      for (let i = 0; i < v.length; i++) if (!walk(v[i])) return false;
    } else {
      if ((left -= 2) < 0) return false;
      for (const k in v) {
        left -= k.length + 3;
        if (!walk((v as Record<string, unknown>)[k])) return false;
      }
    }
    return left >= 0;
  };
  return walk(value);
}

/**
 * The arguments as far as `maxTokens` completion tokens take them, as a model stops at max_tokens mid-call (vLLM ends
 * it with finish_reason "length", Anthropic with stop_reason "max_tokens"): the whole text when it fits, else its
 * longest prefix of at most `maxTokens` tokens, counted as `maxTokens` (what the engine generated). The arguments are
 * a few KiB at most (MAX_PROPERTIES, MAX_COPIED_CHARS): a dozen counts.
 */
export function argumentsWithin(
  args: string,
  maxTokens: number,
  count: (text: string) => number,
): { text: string; tokens: number; cut: boolean } {
  const tokens = count(args);
  if (tokens <= maxTokens) return { text: args, tokens, cut: false };
  return { text: prefixWithin(args, maxTokens, count, args.length - 1), tokens: maxTokens, cut: true };
}

/** Cuts JSON text into fragments, as models stream arguments; lazily, as the events are written. */
export function* argumentFragments(args: string, size = 12): Generator<string> {
  if (args === '') yield '';
  for (let i = 0; i < args.length; i += size) yield args.slice(i, i + size);
}

/**
 * The fragments of arguments that are `tokens` completion tokens, and how many of those tokens the fragments handed
 * out so far carry (undefined before the first) — in proportion to their characters: where a fault at N tokens strikes.
 */
export function trackedFragments(args: string, tokens: number): { fragments: Iterable<string>; carried: () => number | undefined } {
  let chars: number | undefined;
  function* fragments(): Generator<string> {
    for (const f of argumentFragments(args)) {
      chars = (chars ?? 0) + f.length;
      yield f;
    }
  }
  const carried = () => (chars === undefined ? undefined : args.length === 0 ? tokens : Math.floor((tokens * chars) / args.length));
  return { fragments: fragments(), carried };
}

export interface ToolAnswerPlan {
  stream: boolean;
  ttftMs: number;
  headers: Record<string, string>;
  /** The non-streamed body. */
  body: string;
  /** The stream's events, end marker included unless the no-done quirk left it out; built as they are written. */
  events: Iterable<string>;
  completionTokens: number;
  /** A fault that strikes mid-answer (reset-, close-, stall-, error-after:N), after the call's first N tokens. */
  fault?: Fault | undefined;
  /** The dialect's error-after event. */
  errorEvent?: string;
  /** Tokens the argument events pulled so far carry (trackedFragments): undefined until the arguments begin. */
  carried?: () => number | undefined;
  /** How long the client may take none of the answer's bytes before its connection goes (http.ts drained). */
  stallMs?: number;
}

/**
 * Writes a tool-use answer, counted in the mock's stats like any other, and struck by a mid-answer fault as a text
 * answer is: it ignored them — `reset-after:2` sent the whole call, counted completed, and a profile's random fault
 * drawn for the request was never applied.
 */
export async function respondToolCall(res: ServerResponse, plan: ToolAnswerPlan, stats: MockStats): Promise<void> {
  await sleepUnlessClosed(plan.ttftMs, res);
  if (res.destroyed) {
    stats.abort({ endpoint: 'tool', atToken: 0, stream: plan.stream, ts: Date.now() });
    return;
  }
  const s = new Sender(res, stats, plan.stallMs);
  const fault = plan.fault && 'tokens' in plan.fault ? plan.fault : undefined;
  const errorEvent = plan.errorEvent ?? '';
  if (plan.stream) {
    res.writeHead(200, { ...plan.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    // error-after:0, an engine failing at its first step, is the stream's first event, as on a text answer.
    if (fault?.kind === 'error-after' && fault.tokens === 0 && (await faultDue(fault, s, errorEvent))) return;
    // One event at a time, waiting while the client does not read: the mock's memory stays flat.
    for (const e of plan.events) {
      const carried = plan.carried?.();
      // Once the arguments began, before the event that would take the count past the fault's N.
      if (carried !== undefined && (await faultDue(fault, s, errorEvent))) return;
      if (!(await s.write(e))) break;
      if (carried !== undefined && carried > s.tokens) s.countTokens(carried - s.tokens);
    }
    if (res.destroyed) {
      if (!s.cut) stats.abort({ endpoint: 'tool', atToken: s.tokens, stream: true, ts: Date.now() });
      return;
    }
    s.countTokens(plan.completionTokens - s.tokens);
    res.end();
  } else {
    const body = Buffer.from(plan.body);
    res.writeHead(200, { ...plan.headers, 'content-type': 'application/json', 'content-length': body.length });
    if (fault && fault.tokens < plan.completionTokens) {
      // The first N tokens' share of the body, then the fault (an unstreamed text answer is cut after N tokens too).
      await s.write(body.subarray(0, Math.floor((body.length * fault.tokens) / plan.completionTokens)));
      s.countTokens(fault.tokens);
      await faultDue(fault, s, errorEvent);
      return;
    }
    s.countTokens(plan.completionTokens);
    stats.bytesSent += body.length;
    res.end(body);
  }
  stats.completed++;
}
