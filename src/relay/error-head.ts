/**
 * Whether a 2xx JSON body is an error object, told from its first member as a JSON parser reads it, read by read:
 * `"error"` with a value that is not empty (an object, an array, a string), or vLLM's and Anthropic's
 * `"object"`/`"type"` of `"error"` (names and strings decoded: `"\u0065rror"` is `"error"` to a client's SDK).
 * `"error": null` first is an answer. Such a body may echo a configured secret: the exchange reads it as an error.
 *
 * Whitespace between the tokens says nothing, however much of it comes, so none of it is held: each run is counted
 * and given back as as many spaces when the body turns out to be an answer (the same length — a content-length stays
 * true — and the same JSON). What is held is the few bytes the tokens are (a name and a string of at most
 * MAX_TOKEN bytes each), so a backend that puts 5,000 spaces before the object, inside it, or before a colon is read
 * as one that does not (a fixed window of first bytes let each of those through).
 */

export enum Verdict {
  Undecided = 0,
  Answer = 1,
  Error = 2,
}

enum S {
  Start,
  Bom1,
  Bom2,
  Lead,
  Open,
  Name,
  AfterName,
  Value,
  ValueString,
}

enum Kind {
  Error,
  Named,
}

/** The longest name or string read to tell: `"error"` spelt with escapes is 30 bytes. */
const MAX_TOKEN = 64;
const SPACES = Buffer.alloc(64 * 1024, 0x20);

/** JSON's whitespace: space, line feed, carriage return, tab. */
export const isJsonBlank = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** A JSON string's text from its bytes between the quotes (escapes decoded); undefined when it is not one. */
function decoded(raw: number[]): string | undefined {
  const text = Buffer.from(raw).toString('latin1');
  if (!text.includes('\\')) return text;
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return undefined;
  }
}

/**
 * A body's first bytes with its error told (a 2xx's, exchange.ts). `feed` each read until it decides; the bytes it
 * read are then held as `compact` (the tokens) and `giveBack` (the same bytes as an answer sends them), the rest of
 * the last read from `at` on.
 */
export class ErrorHead {
  verdict = Verdict.Undecided;
  /** The body's first byte past a byte-order mark and whitespace; -1 while none came (or the mark was broken). */
  first = -1;
  /** Where, in the last read fed, reading stopped: the bytes from here on were not read. */
  at = 0;
  private state = S.Start;
  private kind = Kind.Error;
  /** The bytes read so far: the tokens' bytes (at most ~140 of them: a brace, a name, a colon, a string), counts for whitespace runs. */
  private readonly parts: (Buffer | number)[] = [];
  private token: number[] = [];
  private escaped = false;

  /** Reads `chunk` on from where the last read stopped; the verdict once told (Undecided: more is needed). */
  feed(chunk: Buffer): Verdict {
    let i = 0;
    let from = 0;
    // Copied: a few bytes, never a view that keeps a whole read (64 KiB of whitespace after a brace) alive.
    const keep = (to: number) => {
      if (to > from) this.parts.push(Buffer.from(chunk.subarray(from, to)));
    };
    for (; i < chunk.length && this.verdict === Verdict.Undecided; i++) {
      const b = chunk[i]!;
      if (isJsonBlank(b) && this.state !== S.Name && this.state !== S.ValueString) {
        // Not the rest of a byte-order mark: the first bytes were not one.
        if (this.state === S.Bom1 || this.state === S.Bom2) {
          this.verdict = Verdict.Answer;
          break;
        }
        // A run of whitespace: counted, not held.
        keep(i);
        let n = 0;
        while (i < chunk.length && isJsonBlank(chunk[i]!)) {
          n++;
          i++;
        }
        const last = this.parts[this.parts.length - 1];
        if (typeof last === 'number') this.parts[this.parts.length - 1] = last + n;
        else this.parts.push(n);
        if (this.state === S.Start) this.state = S.Lead;
        from = i;
        i--;
        continue;
      }
      this.step(b);
    }
    keep(i);
    this.at = i;
    return this.verdict;
  }

  /** The body ended: undecided is an answer. */
  end(): Verdict {
    if (this.verdict === Verdict.Undecided) this.verdict = Verdict.Answer;
    return this.verdict;
  }

  private step(b: number): void {
    switch (this.state) {
      case S.Start:
        if (b === 0xef) this.state = S.Bom1;
        else this.opening(b);
        return;
      case S.Bom1:
        if (b === 0xbb) this.state = S.Bom2;
        else this.verdict = Verdict.Answer;
        return;
      case S.Bom2:
        if (b === 0xbf) this.state = S.Lead;
        else this.verdict = Verdict.Answer;
        return;
      case S.Lead:
        return this.opening(b);
      case S.Open:
        if (b === 0x22) {
          this.state = S.Name;
          this.token = [];
          this.escaped = false;
        } else this.verdict = Verdict.Answer;
        return;
      case S.Name:
        return this.nameByte(b);
      case S.AfterName:
        if (b === 0x3a) this.state = S.Value;
        else this.verdict = Verdict.Answer;
        return;
      case S.Value:
        if (b === 0x22) {
          this.state = S.ValueString;
          this.token = [];
          this.escaped = false;
        } else this.verdict = this.kind === Kind.Error && (b === 0x7b || b === 0x5b) ? Verdict.Error : Verdict.Answer;
        return;
      case S.ValueString:
        return this.stringByte(b);
    }
  }

  private opening(b: number): void {
    this.first = b;
    if (b === 0x7b) this.state = S.Open;
    else this.verdict = Verdict.Answer;
  }

  private nameByte(b: number): void {
    const t = this.token;
    // The names told start e, o, t or an escape; an answer's usual first, `"id"`, is told at its first letter.
    if (t.length === 0 && b !== 0x65 && b !== 0x6f && b !== 0x74 && b !== 0x5c) return void (this.verdict = Verdict.Answer);
    if (b === 0x22 && !this.escaped) {
      const name = decoded(t);
      if (name === 'error') this.kind = Kind.Error;
      else if (name === 'object' || name === 'type') this.kind = Kind.Named;
      else return void (this.verdict = Verdict.Answer);
      this.state = S.AfterName;
      return;
    }
    this.escaped = !this.escaped && b === 0x5c;
    if (t.push(b) > MAX_TOKEN) this.verdict = Verdict.Answer;
  }

  private stringByte(b: number): void {
    const t = this.token;
    // An error's string value: any but the empty one.
    if (this.kind === Kind.Error) return void (this.verdict = b === 0x22 ? Verdict.Answer : Verdict.Error);
    if (b === 0x22 && !this.escaped) return void (this.verdict = decoded(t) === 'error' ? Verdict.Error : Verdict.Answer);
    this.escaped = !this.escaped && b === 0x5c;
    if (t.push(b) > MAX_TOKEN) this.verdict = Verdict.Answer;
  }

  /** The bytes read, whitespace and a byte-order mark left out (JSON all the same): what an error is read from. */
  compact(): Buffer {
    const bytes: Buffer[] = [];
    for (const p of this.parts) if (typeof p !== 'number') bytes.push(p);
    const all = Buffer.concat(bytes);
    return all[0] === 0xef && all[1] === 0xbb && all[2] === 0xbf ? all.subarray(3) : all;
  }

  /** The bytes read as they came but each whitespace run as spaces, in pieces to `push`; stops at the first outcome. */
  giveBack<T>(push: (piece: Buffer) => T | undefined): T | undefined {
    let early: T | undefined;
    for (const p of this.parts) {
      if (typeof p !== 'number') early = push(p);
      else {
        for (let n = p; n > 0 && early === undefined; n -= SPACES.length) early = push(SPACES.subarray(0, Math.min(n, SPACES.length)));
      }
      if (early !== undefined) return early;
    }
    return undefined;
  }
}
