/**
 * One view of the body (reliability: the gateway routes what the backend reads). Differential tests over
 * generated bodies — escaped and unicode keys, nesting, odd whitespace, repeated keys — comparing the
 * gateway's top-level scan with JSON.parse, and the spliced upstream body with what was routed.
 * `npm test` runs FUZZ_RUNS (default 4,000) of each; `npm run fuzz` runs 200,000.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanTopLevel } from '../../../src/openai/json-scan.js';
import { parseProxyRequest } from '../../../src/openai/parse-request.js';
import { upstreamBody } from '../../../src/openai/upstream-body.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const { runs: RUNS, timeout: TIMEOUT } = fuzzRuns(4000);

/** A JSON string literal for `s`, with some characters written as \u escapes (as a hostile client might). */
function literal(s: string, escapeMask: number): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((escapeMask >> (i % 16)) & 1 || c < 0x20 || c === 0x22 || c === 0x5c) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += s[i];
  }
  return `${out}"`;
}

const ws = fc.constantFrom('', ' ', '\n', '\t', '\r\n  ', '   ');
const keyText = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('model', 'stream', 'stream_options', 'messages', 'max_tokens', 'n', '__proto__', 'mode\u006c') },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
);
const member = fc.tuple(
  keyText,
  fc.integer({ min: 0, max: 0xffff }),
  fc.jsonValue({ maxDepth: 4 }),
  ws,
  ws,
  fc.integer({ min: 0, max: 4 }),
);

/** An object's text built member by member, so keys may repeat and be escaped differently each time. */
const objectText = fc.tuple(fc.array(member, { maxLength: 8 }), ws).map(([members, tail]) => {
  const parts = members.map(([k, mask, v, w1, w2, indent]) => `${w1}${literal(k, mask)}${w2}:${w1}${JSON.stringify(v, null, indent)}${w2}`);
  return { text: `{${parts.join(',')}${tail}}`, keys: members.map(([k]) => k) };
});

describe('the top-level scan agrees with JSON.parse', () => {
  it(
    'finds every top-level key once, decoded, with the exact value text — or refuses a repeated key',
    () => {
      fc.assert(
        fc.property(objectText, ({ text, keys }) => {
          const scan = scanTopLevel(text, 128);
          const repeated = new Set(keys).size !== keys.length;
          if (repeated) {
            expect(scan).toMatchObject({ ok: false, reason: 'repeated_key' });
            return;
          }
          if (!scan.ok) {
            // Only nesting deeper than the bound is refused for a valid, duplicate-free object.
            expect(scan.reason).toBe('too_deep');
            return;
          }
          const parsed = JSON.parse(text) as Record<string, unknown>;
          expect(new Set(scan.spans.keys())).toEqual(new Set(Object.keys(parsed)));
          for (const [key, span] of scan.spans) expect(JSON.parse(text.slice(span.start, span.end))).toEqual(parsed[key]);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

/** The objects, arrays and strings JSON.parse allocates for `v` (keys are not values). */
function allocatedValues(v: unknown): number {
  if (typeof v === 'string') return 1;
  if (Array.isArray(v)) return 1 + v.reduce((n: number, x) => n + allocatedValues(x), 0);
  if (v !== null && typeof v === 'object') return 1 + Object.values(v).reduce((n: number, x) => n + allocatedValues(x), 0);
  return 0;
}

describe('the scan counts what JSON.parse allocates', () => {
  it(
    'counts every object, array and string value — never a key — so the bound refuses exactly past it',
    () => {
      fc.assert(
        fc.property(objectText, ({ text, keys }) => {
          if (new Set(keys).size !== keys.length) return;
          const values = allocatedValues(JSON.parse(text));
          const at = scanTopLevel(text, 128, undefined, values);
          if (!at.ok && at.reason === 'too_deep') return;
          expect(at.ok).toBe(true);
          expect(scanTopLevel(text, 128, undefined, values - 1)).toEqual({ ok: false, reason: 'too_many_values' });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

/** The top-level fields the gateway reads (parse-request.ts READ_FIELDS), written out again here. */
const READ = [
  ...['model', 'messages', 'prompt', 'input', 'system', 'tools', 'stream', 'stream_options'],
  ...['max_tokens', 'max_completion_tokens', 'n', 'n_predict', 'n_cmpl', 'best_of'],
  ...['prompt_embeds', 'mcp_servers', 'chat_template', 'chat_template_kwargs'],
];

/** A key as Go's encoding/json folds it (ASCII case, the long s, the Kelvin sign), and ASP.NET's dotless i. */
const goFold = (k: string): string =>
  [...k].map((c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c === '\u0131' ? 'i' : c.toLowerCase())).join('');

/** Whether `k` is a field the gateway reads to a Go backend, spelt otherwise. */
const caseVariantOfRead = (k: string): boolean => goFold(k) !== k && READ.includes(goFold(k));

/** What encoding/json puts in field `name`: the last key that folds to it, in the body's order. */
function goField(body: Record<string, unknown>, name: string): unknown {
  let v: unknown;
  for (const k of Object.keys(body)) if (goFold(k) === name) v = body[k];
  return v;
}

const upstreamName = fc.string({ minLength: 1, maxLength: 20 });
const chatBody = fc
  .tuple(
    objectText,
    fc.string({ minLength: 1, maxLength: 16 }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.boolean(),
    fc.option(fc.boolean()),
    fc.boolean(),
  )
  .map(([extra, model, mask, stream, includeUsage, escapedKeys]) => {
    // Extra members must not be fields the gateway validates (their generated values would rightly be refused).
    const known = new Set(['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'n', 'seed', 'best_of']);
    const rest = extra.text.slice(1, -1).trim();
    // Nor spellings of a field the gateway reads in other case (refused: a Go backend reads them as that field).
    const kept =
      rest && !extra.keys.some((k) => known.has(k) || caseVariantOfRead(k)) && new Set(extra.keys).size === extra.keys.length
        ? `,${rest}`
        : '';
    const key = (k: string) => (escapedKeys ? literal(k, 0b1010) : JSON.stringify(k));
    const so = includeUsage === null ? '' : `,${key('stream_options')}:{"include_usage":${includeUsage}}`;
    return {
      text: `{${key('model')}:${literal(model, mask)},${key('messages')}:[{"role":"user","content":"hi"}],${key('stream')}:${stream}${so}${kept}}`,
      model,
      stream,
    };
  });

describe('the spliced upstream body', () => {
  it(
    'carries exactly the routed model and, for streams, include_usage — every other value as sent',
    () => {
      fc.assert(
        fc.property(chatBody, upstreamName, ({ text, model, stream }, upstream) => {
          // What travels is UTF-8: a lone surrogate in the text arrives as U+FFFD, for the gateway and the test alike.
          const bytes = Buffer.from(text);
          const parsed = parseProxyRequest('chat', bytes, 'application/json');
          if (!parsed.ok) throw new Error(`refused a valid body: ${parsed.error.message}\n${text}`);
          const p = parsed.value;
          expect(p.model).toBe(model);
          const body = upstreamBody(p, JSON.stringify(upstream));
          const sent = JSON.parse(body.body.toString('utf8')) as Record<string, unknown>;
          const original = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
          expect(sent.model).toBe(upstream);
          if (stream) expect((sent.stream_options as { include_usage?: unknown }).include_usage).toBe(true);
          for (const k of Object.keys(original)) if (k !== 'model' && k !== 'stream_options') expect(sent[k]).toEqual(original[k]);
          expect(new Set(Object.keys(sent))).toEqual(new Set([...Object.keys(original), ...(stream ? ['stream_options'] : [])]));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it.each([
    ['an escaped second model key', '{"model":"llama-3-70b","m\\u006fdel":"secret-model","messages":[]}', 'model'],
    [
      'an escaped stream_options key',
      '{"model":"m","messages":[],"stream":true,"stream_options":{},"stream\\u005foptions":{}}',
      'stream_options',
    ],
    ['a plain repeat', '{"model":"a","model":"b","messages":[]}', 'model'],
  ])('refuses %s with 400 invalid_request naming the key', (_name, text, key) => {
    const r = parseProxyRequest('chat', Buffer.from(text), 'application/json');
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request', param: key } });
  });
});

/** The edited body as its text, encoded: what the bytes sent upstream must equal. */
function editedText(text: string, edits: { start: number; end: number; json: string }[]): Buffer {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.json + out.slice(e.end);
  return Buffer.from(out);
}

const prose = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('敏捷的棕色狐狸', 'Привет, мир', '🦊🐕‍🦺 emoji', 'mixed ascii then ü'),
);
/** Bytes JSON allows inside a string that are not UTF-8: a lone continuation, a truncated lead, an overlong form. */
const notUtf8 = fc.constantFrom([0x80], [0xc3], [0xe6, 0x95], [0xc0, 0xaf], [0xff], [0xed, 0xa0, 0x80]);

describe('the upstream bytes', () => {
  it(
    'are the edited text encoded as UTF-8, byte for byte — prompts in any script, model and stream_options anywhere, bytes that are not UTF-8',
    () => {
      fc.assert(
        fc.property(
          fc.array(prose, { minLength: 1, maxLength: 4 }),
          prose,
          fc.option(notUtf8),
          fc.boolean(),
          fc.option(fc.boolean()),
          fc.integer({ min: 0, max: 2 }),
          upstreamName,
          (turns, model, junk, stream, includeUsage, order, upstream) => {
            const members = [
              `"model":${JSON.stringify(model)}`,
              `"messages":${JSON.stringify(turns.map((content) => ({ role: 'user', content })))}`,
              `"stream":${stream}`,
              ...(includeUsage === null ? [] : [`"stream_options":{"include_usage":${includeUsage},"x":"ü"}`]),
            ];
            // model first, last, or after the prompt
            const ordered =
              order === 0 ? members : order === 1 ? [...members.slice(1), members[0]!] : [members[1]!, members[0]!, ...members.slice(2)];
            const text = `{ ${ordered.join(', ')} }`;
            let bytes = Buffer.from(text);
            if (junk) {
              // Into the last message's content, just after its opening quote.
              const at = bytes.lastIndexOf('"content":"') + '"content":"'.length;
              bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(junk), bytes.subarray(at)]);
            }
            const parsed = parseProxyRequest('chat', bytes, 'application/json');
            if (!parsed.ok) throw new Error(`refused: ${parsed.error.message}`);
            const p = parsed.value;
            expect(p.raw === undefined).toBe(junk !== null);
            const got = upstreamBody(p, JSON.stringify(upstream));
            const edits = [{ ...p.modelSpan, json: JSON.stringify(upstream) }];
            if (stream && includeUsage !== true) {
              const so = p.spans.get('stream_options');
              const close = p.text.lastIndexOf('}');
              edits.push(
                so
                  ? { ...so, json: JSON.stringify({ ...(p.json.stream_options as object), include_usage: true }) }
                  : { start: close, end: close, json: ',"stream_options":{"include_usage":true}' },
              );
            }
            expect(got.body.equals(editedText(p.text, edits))).toBe(true);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

describe('stream: true where an endpoint has no streamed form', () => {
  it.each([
    ['embeddings', { model: 'm', input: 'hi', stream: true }],
    ['count_tokens', { model: 'm', messages: [{ role: 'user', content: '' }], stream: true }],
  ] as const)('%s: read as a JSON answer, not a stream', (endpoint, body) => {
    const r = parseProxyRequest(endpoint, Buffer.from(JSON.stringify(body)), 'application/json');
    expect(r).toMatchObject({ ok: true, value: { stream: false } });
  });
});

/** `name` spelt with each letter lower, upper, or (s, k, i) as the character a case-blind reader folds to it. */
const spelling = (name: string) =>
  fc.array(fc.integer({ min: 0, max: 2 }), { minLength: name.length, maxLength: name.length }).map((how) =>
    [...name]
      .map((c, i) => {
        const special = c === 's' ? '\u017f' : c === 'k' ? '\u212a' : c === 'i' ? '\u0131' : c.toUpperCase();
        return how[i] === 0 ? c : how[i] === 1 ? c.toUpperCase() : special;
      })
      .join(''),
  );

/** A value the gateway takes for `name` in a chat request. */
function valueFor(name: string) {
  if (name === 'stream') return fc.boolean();
  if (name === 'stream_options') return fc.constant({});
  if (name === 'messages') return fc.constant([{ role: 'user', content: 'x' }]);
  // best_of is read on chat too (1 to 20, at least n): the counts stay within it, so the body is one the gateway takes.
  if (name === 'best_of') return fc.constant(20);
  if (name === 'n' || name === 'n_cmpl') return fc.integer({ min: 1, max: 20 });
  if (['max_tokens', 'max_completion_tokens', 'n_predict'].includes(name)) return fc.integer({ min: 1, max: 100 });
  return fc.string({ maxLength: 8 });
}

const readMember = fc.constantFrom(...READ).chain((name) => fc.tuple(spelling(name), valueFor(name)));

describe('a backend that reads keys regardless of case (Go, ASP.NET)', () => {
  it(
    'reads every field the gateway reads as the gateway read it — or the body is refused naming the other spelling',
    () => {
      fc.assert(
        fc.property(
          fc.uniqueArray(readMember, { selector: ([k]) => k, maxLength: 6 }),
          fc.boolean(),
          upstreamName,
          (members, modelLast, upstream) => {
            // The body's own model and messages as the API spells them; generated members never repeat them exactly.
            const extra = members.filter(([k]) => k !== 'model' && k !== 'messages');
            const base: [string, unknown][] = [
              ['model', 'm'],
              ['messages', [{ role: 'user', content: 'hi' }]],
            ];
            const all = modelLast ? [...extra, ...base] : [...base, ...extra];
            const text = `{${all.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
            const r = parseProxyRequest('chat', Buffer.from(text), 'application/json');
            const variant = extra.find(([k]) => goFold(k) !== k);
            if (variant) {
              expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
              return;
            }
            if (!r.ok) throw new Error(`refused: ${r.error.message}\n${text}`);
            const sent = JSON.parse(upstreamBody(r.value, JSON.stringify(upstream)).body.toString()) as Record<string, unknown>;
            expect(goField(sent, 'model')).toBe(upstream);
            for (const name of READ) expect(goField(sent, name)).toEqual(sent[name]);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
