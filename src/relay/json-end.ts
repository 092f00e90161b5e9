/**
 * Whether a JSON text read in pieces reached its end: the object or array it opens with closed. For a body framed by
 * its connection's close alone (no content-length, no chunks: RFC 9112 §6.3), whose close is then its only end, this
 * is the one sign it was read whole — a backend that died mid-answer, or a TLS connection cut without its close_notify
 * (§9.8), ends it exactly as a whole one ends. Read as bytes: UTF-8 never puts a byte below 0x80 inside a character,
 * so quotes, backslashes and brackets are what they are. Each byte is looked at once, and none once the text closed.
 */
import { isJsonBlank } from './error-head.js';

/** U+FEFF in UTF-8. */
const BOM = [0xef, 0xbb, 0xbf];

enum S {
  /** Only blanks so far. */
  Start,
  /** Inside the outermost object or array. */
  Open,
  /** It closed: whole. */
  Closed,
  /** The text opens with something else (a string, a number, a mark cut short): not judged. */
  Other,
}

export class JsonEnd {
  private state = S.Start;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Bytes of a leading byte-order mark read so far (3: none is looked for any more). */
  private bom = 0;

  feed(b: Buffer): void {
    let i = 0;
    const n = b.length;
    if (this.state === S.Start) {
      // A byte-order mark first (its three bytes, which may come in pieces) is read past, as error-head.ts reads past it
      // to take the body for an answer (fetch's response.json(), openai-node's, strips it): judged as "other", such a
      // body cut by its backend's death reached the client as a whole 200.
      while (i < n && this.bom < 3 && b[i] === BOM[this.bom]) {
        i++;
        this.bom++;
      }
      if (i === n) return;
      if (this.bom > 0 && this.bom < 3) return void (this.state = S.Other);
      this.bom = 3;
      while (i < n && isJsonBlank(b[i])) i++;
      if (i === n) return;
      const c = b[i]!;
      if (c !== 0x7b && c !== 0x5b) return void (this.state = S.Other);
      this.state = S.Open;
    }
    if (this.state !== S.Open) return;
    for (; i < n; i++) {
      const c = b[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) this.inString = false;
      } else if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if ((c === 0x7d || c === 0x5d) && --this.depth === 0) return void (this.state = S.Closed);
    }
  }

  /** False when the text opened an object or array and stopped inside it (or nothing came); true otherwise. */
  get whole(): boolean {
    return this.state === S.Closed || this.state === S.Other;
  }
}

/** Whether an answer's head frames its body by the connection's close: neither a content-length nor chunks last. */
export function framedByClose(headers: { 'content-length'?: string | string[]; 'transfer-encoding'?: string | string[] }): boolean {
  if (headers['content-length'] !== undefined) return false;
  const te = headers['transfer-encoding'];
  if (te === undefined) return true;
  const codings = (typeof te === 'string' ? te : te.join(',')).split(',');
  return codings[codings.length - 1]!.trim().toLowerCase() !== 'chunked';
}
