/**
 * What an answer says about itself, read from bytes that pass by (never a JSON parse): the model it names,
 * and, for a recording trace only, its id and finish reasons. In JSON text a quoted key can only be a key —
 * a string value's inner quotes are escaped — so a search for `"model"` finds keys, never answer text.
 */
import type { AnswerNotes } from '../events/request-record.js';

/** Longest value kept: model names and ids are short; anything longer is not a name. */
const MAX_VALUE = 256;
/** Only this much text after a key is looked at, whatever the event's size. */
const WINDOW = MAX_VALUE + 32;

const MODEL_RE = /^"model"\s*:\s*"([^"\\\s]{1,256})"/;
const ID_RE = /^"id"\s*:\s*"([^"\\\s]{1,256})"/;
const FINISH_RE = /^"finish_reason"\s*:\s*"([^"\\\s]{1,64})"/;

/** The string value of the first `key` (quoted, with its colon) in `text` at or after `from`, if it is a plain string. */
function stringAt(text: string, key: string, re: RegExp, from = 0): { value: string; end: number } | undefined {
  const at = text.indexOf(key, from);
  if (at < 0) return undefined;
  const m = re.exec(text.slice(at, at + WINDOW));
  return m ? { value: m[1]!, end: at + m[0].length } : { value: '', end: at + key.length };
}

/** The `model` an answer (a body, or a stream event's data) names; undefined when none, or not a plain short string. */
export function modelIn(text: string): string | undefined {
  const v = stringAt(text, '"model"', MODEL_RE);
  return v?.value || undefined;
}

/** Notes a stream event's id (the first one seen), finish reasons and, with captureContent, its data. */
export function noteEvent(notes: AnswerNotes, data: string): void {
  if (notes.id === undefined) notes.id = stringAt(data, '"id"', ID_RE)?.value || undefined;
  noteFinishReasons(notes, data);
  if (notes.wantsSample) notes.sample(data);
}

/** Notes a non-streamed answer's id (near its start) and finish reasons (near its end). */
export function noteBody(notes: AnswerNotes, head: string, tail: string): void {
  notes.id = stringAt(head, '"id"', ID_RE)?.value || undefined;
  noteFinishReasons(notes, tail);
}

function noteFinishReasons(notes: AnswerNotes, text: string): void {
  let from = 0;
  for (let i = 0; i < 16; i++) {
    const v = stringAt(text, '"finish_reason"', FINISH_RE, from);
    if (!v) return;
    if (v.value) notes.finishReason(v.value);
    from = v.end;
  }
}
