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
import { drained, sleepUnlessClosed } from './http.js';
import type { MockStats } from './stats.js';
import { TokenSource } from './text.js';

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

/** Cuts JSON text into fragments, as models stream arguments; lazily, as the events are written. */
export function* argumentFragments(args: string, size = 12): Generator<string> {
  if (args === '') yield '';
  for (let i = 0; i < args.length; i += size) yield args.slice(i, i + size);
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
}

/** Writes a tool-use answer, counted in the mock's stats like any other. */
export async function respondToolCall(res: ServerResponse, plan: ToolAnswerPlan, stats: MockStats): Promise<void> {
  await sleepUnlessClosed(plan.ttftMs, res);
  if (res.destroyed) {
    stats.abort({ endpoint: 'tool', atToken: 0, stream: plan.stream, ts: Date.now() });
    return;
  }
  stats.completionTokens += plan.completionTokens;
  if (plan.stream) {
    res.writeHead(200, { ...plan.headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    // One event at a time, waiting while the client does not read: the mock's memory stays flat.
    for (const e of plan.events) {
      if (res.destroyed) break;
      stats.bytesSent += Buffer.byteLength(e);
      if (!res.write(e)) await drained(res);
    }
    if (res.destroyed) {
      stats.abort({ endpoint: 'tool', atToken: plan.completionTokens, stream: true, ts: Date.now() });
      return;
    }
    res.end();
  } else {
    stats.bytesSent += Buffer.byteLength(plan.body);
    res.writeHead(200, { ...plan.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(plan.body) });
    res.end(plan.body);
  }
  stats.completed++;
}
