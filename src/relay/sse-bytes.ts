/**
 * What the SSE relay needs to know of OpenAI's stream bytes, found with native byte searches instead of a
 * decoder: where complete events end, which events carry data, where `data: [DONE]` and usage chunks are.
 * For streams whose lines end in LF only (every OpenAI-compatible server we know): the relay falls back to
 * the full decoder (openai/sse.ts) the moment a CR appears.
 */

const BOUNDARY = Buffer.from('\n\n');
const DATA = Buffer.from('data:');
const DONE_SPACED = Buffer.from('data: [DONE]\n');
const DONE_TIGHT = Buffer.from('data:[DONE]\n');
const USAGE = Buffer.from('"usage"');

/** Offset just past the last blank line in `buf` before `end` (the end of its last complete event), or 0. */
export function completeUpTo(buf: Buffer): number {
  const at = buf.lastIndexOf(BOUNDARY);
  return at < 0 ? 0 : at + 2;
}

/** Whether the event starting at `start` has a data line (its first line, as servers write them). */
export function startsWithData(buf: Buffer, start: number): boolean {
  return buf.length - start >= 5 && buf.compare(DATA, 0, 5, start, start + 5) === 0;
}

/** Whether the event starting at `start` is exactly the end marker (`data: [DONE]` alone on its line). */
export function isDone(buf: Buffer, start: number): boolean {
  for (const marker of [DONE_SPACED, DONE_TIGHT]) {
    const end = start + marker.length;
    if (end <= buf.length && buf.compare(marker, 0, marker.length, start, end) === 0) return true;
  }
  return false;
}

/** The end (just past its blank line) of the event starting at `start`, within `limit`. */
export function eventEnd(buf: Buffer, start: number, limit: number): number {
  const at = buf.indexOf(BOUNDARY, start);
  return at < 0 || at + 2 > limit ? limit : at + 2;
}

/** The start of the event holding offset `at` (just past the blank line before it, or 0). */
export function eventStart(buf: Buffer, at: number): number {
  const before = at >= 2 ? buf.lastIndexOf(BOUNDARY, at - 2) : -1;
  return before < 0 ? 0 : before + 2;
}

/** The next `"usage"` at or after `from` and before `limit`, or -1. */
export function nextUsage(buf: Buffer, from: number, limit: number): number {
  const at = buf.indexOf(USAGE, from);
  return at < 0 || at >= limit ? -1 : at;
}

/** The data of one event (its `data:` lines joined), decoded: only for the rare events we must read. */
export function eventData(buf: Buffer, start: number, end: number): string {
  let data = '';
  for (const line of buf.toString('utf8', start, end).split('\n')) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 0x20 ? line.slice(6) : line.slice(5);
    data = data ? `${data}\n${value}` : value;
  }
  return data;
}
