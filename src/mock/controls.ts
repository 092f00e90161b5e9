/**
 * Per-request control of a mock: `x-mock-*` headers, or a `[[mock key=value …]]` directive inside the last
 * user message (which survives gateways that strip headers). Headers win over the directive.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseDuration } from '../core/units.js';
import { MAX_DELAY_MS } from './pace.js';

export type Fault =
  | { kind: 'status'; status: number }
  | { kind: 'reset-before-headers' }
  | { kind: 'reset-after'; tokens: number }
  | { kind: 'close-after'; tokens: number }
  | { kind: 'stall-after'; tokens: number }
  | { kind: 'error-after'; tokens: number }
  | { kind: 'slow-headers'; ms: number };

/**
 * Tokens one SSE event may carry. An event is built whole before it is written: `chunk=100000000` made one
 * 544 MB event (2 GB of memory, the event loop held ~8 s) where the answer otherwise streams in flat memory.
 */
export const MAX_CHUNK_TOKENS = 65_536;

export type Quirk = 'ping' | 'no-done' | 'no-usage' | 'split-utf8';
const QUIRKS: ReadonlySet<string> = new Set<Quirk>(['ping', 'no-done', 'no-usage', 'split-utf8']);

export interface Controls {
  ttftMs?: number;
  tokensPerSecond?: number;
  tokensPerChunk?: number;
  fault?: Fault;
  quirks: ReadonlySet<Quirk>;
}

/**
 * A client's value as an error quotes it: at most 200 characters. A directive's value runs to the next space, so
 * up to the request's whole body (a 400 echoing 8 MiB of `fault=…` back), as the mocks quote a model name.
 */
export const shown = (v: string): string => (v.length > 200 ? `${v.slice(0, 200)}…` : v);

/** Parses `status:503`, `reset-after:100`, `slow-headers:2s`, …; a string describing the problem otherwise. */
export function parseFault(spec: string): Fault | string {
  const [name, arg] = spec.trim().split(':', 2) as [string, string | undefined];
  const count = arg !== undefined && /^\d+$/.test(arg) ? Number(arg) : undefined;
  switch (name) {
    case 'status':
      // A final status: a 1xx is no answer (a client waits for the one after it, which never came: the fault was a hang
      // until the client's header timeout or the idle connection's 65 s close).
      return count !== undefined && count >= 200 && count <= 599
        ? { kind: 'status', status: count }
        : 'status:N needs a final HTTP status (200 to 599)';
    case 'reset-before-headers':
      return { kind: 'reset-before-headers' };
    case 'overloaded':
      // Anthropic's 529 overloaded_error; what aigw answers 503 for.
      return { kind: 'status', status: 529 };
    case 'reset-after':
    case 'close-after':
    case 'stall-after':
    case 'error-after':
      return count !== undefined ? { kind: name, tokens: count } : `${name}:N needs a token count`;
    case 'slow-headers': {
      const ms = arg === undefined ? undefined : parseDuration(arg);
      return ms !== undefined ? { kind: 'slow-headers', ms } : 'slow-headers:D needs a duration such as 2s';
    }
    default:
      return `unknown fault "${shown(spec)}" (status:N, overloaded, reset-before-headers, reset-after:N, close-after:N, stall-after:N, error-after:N, slow-headers:D)`;
  }
}

/**
 * The inside of the first `[[mock …]]` in `text` (what `/\[\[mock\s+([^\]]*)\]\]/` matches), found in one pass:
 * that regular expression rescans the rest of the text from every `[[mock` without its `]]`, so a prompt of
 * such openings took seconds per 100 KiB (the whole gateway waited, with mocks in its process).
 */
function directiveBody(text: string): string | undefined {
  let from = 0;
  for (;;) {
    const at = text.indexOf('[[mock', from);
    if (at < 0) return undefined;
    if (!/\s/.test(text.charAt(at + 6))) {
      from = at + 6;
      continue;
    }
    const close = text.indexOf(']', at + 7);
    if (close < 0) return undefined;
    if (text.charCodeAt(close + 1) === 0x5d) return text.slice(at + 6, close);
    // Every opening before this lone `]` meets it first: the next candidate is past it.
    from = close + 1;
  }
}

/** The keys a directive may set: the controls read here, `tool` (tool-call.ts), `cache_read` / `cache_write` (anthropic.ts). */
const DIRECTIVE_KEYS: ReadonlySet<string> = new Set(['ttft', 'tps', 'chunk', 'fault', 'quirks', 'tool', 'cache_read', 'cache_write']);
const LONGEST_KEY = 'cache_write'.length;

/** What `\s` matches (the separator of a directive's pairs), ASCII without a regular expression. */
const isSpace = (c: number): boolean => c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c > 0x7f && /\s/.test(String.fromCharCode(c)));

/**
 * The key=value pairs of a `[[mock …]]` directive in `text`, if there is one; other keys are ignored, as they always
 * were. Read pair by pair, keeping only the keys above: split into an array, and every pair's key kept, a directive
 * of 8 MiB (the gateway's request bound; a mock takes 64 MiB) was a million strings and an object of a million
 * properties — for one request, read two or three times over (controls, tool, cache split).
 */
export function parseDirective(text: string): Record<string, string> {
  const body = directiveBody(text);
  const out: Record<string, string> = {};
  if (body === undefined) return out;
  for (let i = 0; i < body.length; ) {
    while (i < body.length && isSpace(body.charCodeAt(i))) i++;
    const start = i;
    let eq = -1;
    for (; i < body.length && !isSpace(body.charCodeAt(i)); i++) if (eq < 0 && body.charCodeAt(i) === 0x3d) eq = i;
    if (eq > start && eq - start <= LONGEST_KEY) {
      const key = body.slice(start, eq);
      if (DIRECTIVE_KEYS.has(key)) out[key] = body.slice(eq + 1, i);
    }
  }
  return out;
}

/** Controls from headers and directive text; a string describing the first bad value otherwise. */
export function readControls(headers: IncomingHttpHeaders, directiveText: string | undefined): Controls | string {
  const d = directiveText?.includes('[[mock') ? parseDirective(directiveText) : {};
  const pick = (header: string, key: string): string | undefined => {
    const h = headers[header];
    return (Array.isArray(h) ? h[0] : h) ?? d[key];
  };
  const out: { -readonly [K in keyof Controls]: Controls[K] } = { quirks: new Set() };
  const ttft = pick('x-mock-ttft', 'ttft');
  if (ttft !== undefined) {
    const ms = parseDuration(ttft);
    if (ms === undefined) return `ttft: expected a duration such as 80ms, got "${shown(ttft)}"`;
    out.ttftMs = ms;
  }
  const tps = pick('x-mock-tps', 'tps');
  if (tps !== undefined) {
    const n = Number(tps);
    // One token per MAX_DELAY_MS at the slowest: a slower rate is an answer that never comes.
    if (!(n === 0 || n >= 1000 / MAX_DELAY_MS))
      return `tps: expected 0 (no pacing) or at least ${1000 / MAX_DELAY_MS} (a token per ${MAX_DELAY_MS / 60_000} min), got "${shown(tps)}"`;
    out.tokensPerSecond = n;
  }
  const chunk = pick('x-mock-chunk-tokens', 'chunk');
  if (chunk !== undefined) {
    const n = Number(chunk);
    if (!Number.isInteger(n) || n < 1 || n > MAX_CHUNK_TOKENS)
      return `chunk: expected an integer from 1 to ${MAX_CHUNK_TOKENS}, got "${shown(chunk)}"`;
    out.tokensPerChunk = n;
  }
  const fault = pick('x-mock-fault', 'fault');
  if (fault !== undefined) {
    const f = parseFault(fault);
    if (typeof f === 'string') return f;
    out.fault = f;
  }
  const quirks = pick('x-mock-quirks', 'quirks');
  if (quirks !== undefined) {
    const set = new Set<Quirk>();
    for (const q of quirks
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (!QUIRKS.has(q)) return `unknown quirk "${shown(q)}" (ping, no-done, no-usage, split-utf8)`;
      set.add(q as Quirk);
    }
    out.quirks = set;
  }
  return out;
}
