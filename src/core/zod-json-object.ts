/**
 * A JSON object as it came, checked and not copied. zod's `z.record` builds its output key by key, and
 * `out["__proto__"] = v` sets the copy's prototype instead of adding the key: a tool's input that JSON.parse (and
 * so every SDK) reads as `{"__proto__":{…},"mode":"r"}` came out of it as `{"mode":"r"}`, inheriting the rest — the
 * translations sent the call on without its key. Values are not looked into, as z.record(z.string(), z.unknown())
 * did not: nested objects were kept whole already.
 */
import { z } from 'zod';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What zod says it received: `received undefined` is how a missing field reads (`Field required` on Anthropic's paths). */
const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export const jsonObject = z.custom<Record<string, unknown>>(isObject, {
  error: (issue) => `Invalid input: expected object, received ${kindOf(issue.input)}`,
});
