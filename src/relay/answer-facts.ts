/**
 * What an answer says about itself, read from bytes that pass by (never a JSON parse): the model it names,
 * and, for a recording trace only, its id and finish reasons. In JSON text a quoted key can only be a key —
 * a string value's inner quotes are escaped — so a search for `"model"` finds keys, never answer text.
 */
import type { AnswerNotes } from '../events/request-record.js';
import { stringAfter } from './json-text.js';

/** Longest value kept: model names and ids are short; anything longer is not a name. */
const MAX_VALUE = 256;
/** Only this much text after a key is looked at, whatever the event's size. */
const WINDOW = MAX_VALUE + 32;

/** The longest finish reason kept (OpenAI's are a word or two). */
const MAX_REASON = 64;

/** A model name a backend gave in a parsed answer (Anthropic's), kept as modelIn keeps one: only when short. */
export function shortName(name: string | undefined): string | undefined {
  return name !== undefined && name.length <= MAX_VALUE ? name : undefined;
}

/** The `model` an answer (a body, or a stream event's data) names; undefined when none, or not a plain short string. */
export function modelIn(text: string): string | undefined {
  const v = stringAfter(text, '"model"', MAX_VALUE, WINDOW);
  return v?.value || undefined;
}

/** Notes a stream event's id (the first one seen), finish reasons and, with captureContent, its data. */
export function noteEvent(notes: AnswerNotes, data: string): void {
  if (notes.id === undefined) notes.id = stringAfter(data, '"id"', MAX_VALUE, WINDOW)?.value || undefined;
  noteFinishReasons(notes, data);
  if (notes.wantsSample) notes.sample(data);
}

/** Notes a non-streamed answer's id (near its start) and finish reasons (near its end). */
export function noteBody(notes: AnswerNotes, head: string, tail: string): void {
  notes.id = stringAfter(head, '"id"', MAX_VALUE, WINDOW)?.value || undefined;
  noteFinishReasons(notes, tail);
}

function noteFinishReasons(notes: AnswerNotes, text: string): void {
  let from = 0;
  for (let i = 0; i < 16; i++) {
    const v = stringAfter(text, '"finish_reason"', MAX_REASON, WINDOW, from);
    if (!v) return;
    if (v.value) notes.finishReason(v.value);
    from = v.end;
  }
}
