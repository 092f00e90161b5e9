/**
 * What a request may generate, as the gateway reads it and as the backends read the same bytes. Differential:
 * generated bodies whose length and answer-count fields are written as any JSON literal a client can send
 * (`1.0`, `1e0`, `-0`, `"5"`, `true`, `1e400`, 10^22, `null` …); each backend is modelled by how it reads them —
 * vLLM through pydantic's lax mode (a whole float or a string of digits is an int, a bool is 0 or 1, an integer
 * literal is exact), llama.cpp through nlohmann's `json_value` (a null or a mistyped value is the default, a
 * float truncated). Whatever the gateway accepts, no backend that accepts it too generates more answers than the
 * gateway reserved, nor a longer answer than the length the gateway holds it to.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProxyRequest } from '../../../src/openai/parse-request.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';

const { runs: RUNS, timeout: TIMEOUT } = fuzzRuns(4000);

const FIELDS = ['max_tokens', 'max_completion_tokens', 'n', 'best_of', 'n_predict', 'n_cmpl'] as const;
type Field = (typeof FIELDS)[number];

const LITERALS = [
  ...['null', '0', '-0', '-0.0', '1', '1.0', '1e0', '1E0', '10e-1', '2', '3.0', '4', '7', '16', '20', '21', '64', '128', '129'],
  ...['2.5', '0.99999999999999999', '1.0000000000000001', '1e400', '-1', '-1e400', '10000000000000000000001', '100000000'],
  ...['100000001', '"5"', '" 6 "', '"1.0"', 'true', 'false', '[1]', '{}', '"x"'],
];

/** A JSON literal as Python's json module reads it: integers exact (BigInt), other numbers IEEE doubles. */
type Py = null | boolean | bigint | number | string | 'other';
function pyRead(lit: string): Py {
  if (lit === 'null') return null;
  if (lit === 'true' || lit === 'false') return lit === 'true';
  if (lit.startsWith('"')) return JSON.parse(lit) as string;
  if (/^-?\d+$/.test(lit)) return BigInt(lit);
  if (/^-?[\d.eE+-]+$/.test(lit)) return Number(lit);
  return 'other';
}

/** pydantic v2's lax int: undefined when it refuses the value (the backend answers 400: nothing generated). */
function pydanticInt(v: Py): bigint | null | undefined {
  if (v === null) return null;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) && Number.isInteger(v) ? BigInt(v) : undefined;
  if (typeof v === 'string') return /^\s*[+-]?\d+\s*$/.test(v) ? BigInt(v.trim()) : undefined;
  return undefined;
}

/** nlohmann's json_value(body, key, default) for an int: null or a mistyped value is the default; a float truncated. */
function nlohmannInt(lit: string | undefined, fallback: bigint): bigint {
  if (lit === undefined) return fallback;
  const v = pyRead(lit);
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : fallback;
  return fallback;
}

/** What a backend generates: answers, and each answer's length (undefined: to the context), or undefined if it refuses. */
type Generation = { answers: bigint; length: bigint | undefined } | undefined;

function vllm(endpoint: 'chat' | 'completions', lits: Partial<Record<Field, string>>): Generation {
  const read = (f: Field) => (lits[f] === undefined ? null : pydanticInt(pyRead(lits[f]!)));
  const [mt, mct, n, bestOf] = [read('max_tokens'), read('max_completion_tokens'), read('n'), read('best_of')];
  if ([mt, mct, n, bestOf].includes(undefined)) return undefined;
  const answers = n ?? 1n;
  if (answers < 1n || (bestOf !== null && bestOf! < answers)) return undefined;
  // Chat: max_completion_tokens, else max_tokens; completions read max_tokens alone (16 when absent).
  const length = endpoint === 'chat' ? (mct ?? mt) : (mt ?? 16n);
  if (length !== null && length! < 1n) return undefined;
  return { answers: bestOf ?? answers, length: length ?? undefined };
}

function llamaCpp(lits: Partial<Record<Field, string>>): Generation {
  // n_predict over max_tokens, n_cmpl over n; -1 (or no field) generates to the context.
  const length = nlohmannInt(lits.n_predict, nlohmannInt(lits.max_tokens, -1n));
  const answers = nlohmannInt(lits.n_cmpl, nlohmannInt(lits.n, 1n));
  if (answers < 1n) return undefined;
  return { answers, length: length < 0n ? undefined : length === 0n ? 0n : length };
}

const body = fc.record(Object.fromEntries(FIELDS.map((f) => [f, fc.option(fc.constantFrom(...LITERALS), { nil: undefined })])), {
  requiredKeys: [],
}) as fc.Arbitrary<Partial<Record<Field, string | undefined>>>;

describe('the generation the gateway reserves covers what each backend reads from the same bytes', () => {
  it.each(['chat', 'completions'] as const)(
    '%s',
    (endpoint) => {
      fc.assert(
        fc.property(body, (lits) => {
          const present = Object.fromEntries(Object.entries(lits).filter(([, v]) => v !== undefined)) as Partial<Record<Field, string>>;
          const head = endpoint === 'chat' ? '"model":"m","messages":[{"role":"user","content":"x"}]' : '"model":"m","prompt":"x"';
          const text = `{${[head, ...Object.entries(present).map(([k, v]) => `"${k}":${v}`)].join(',')}}`;
          const r = parseProxyRequest(endpoint, Buffer.from(text), 'application/json');
          if (!r.ok) return;
          const p = r.value;
          for (const [name, g] of [
            ['vLLM', vllm(endpoint, present)],
            ['llama.cpp', llamaCpp(present)],
          ] as const) {
            if (g === undefined) continue;
            const at = `${name} reading ${text}`;
            expect(g.answers <= BigInt(p.choices), at).toBe(true);
            if (p.lengthBound !== undefined) {
              expect(g.length, at).toBeDefined();
              expect(g.length! <= BigInt(p.lengthBound), at).toBe(true);
            }
            if (g.length !== undefined && p.maxTokens !== undefined) expect(g.length <= BigInt(p.maxTokens), at).toBe(true);
          }
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
