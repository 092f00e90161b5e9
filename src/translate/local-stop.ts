/**
 * Stop sequences an Anthropic backend refuses, applied by the translation instead. Anthropic refuses a stop sequence
 * of whitespace alone (400 "stop_sequences: each stop sequence must contain non-whitespace") and an empty one ("must
 * be non-empty"); OpenAI's API and vLLM take them, and `stop: "\n"` is how single-line completions are asked for. Such
 * a sequence is not sent: the answer's text is cut before its first occurrence, as the backend would have cut it.
 */

/** Whitespace-only stop sequences a request may hold, and their length, at most: each text delta is searched for them. */
export const MAX_LOCAL_STOPS = 16;
export const MAX_LOCAL_STOP_LENGTH = 64;

/** A request's stop sequences: those an Anthropic backend takes, and those the translation applies (whitespace alone). */
export function splitStops(stops: readonly string[]): { sent: string[]; local: string[] } {
  const sent: string[] = [];
  const local: string[] = [];
  for (const s of stops) {
    // An empty sequence is left out: Anthropic refuses it, and it names no text to stop at.
    if (s === '') continue;
    if (s.trim() === '') local.push(s);
    else sent.push(s);
  }
  return { sent, local };
}

/** Where the earliest of `stops` begins in `text` at or after `from`; -1 for none. */
export function firstStop(text: string, stops: readonly string[], from = 0): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s, from);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** The longest of `stops`. */
export function longestStop(stops: readonly string[]): number {
  let n = 0;
  for (const s of stops) n = Math.max(n, s.length);
  return n;
}

const isSpaceText = (s: string): boolean => s.trim() === '';

/**
 * A stream's text read for the stops: what may go out now, and whether a stop came. The end of the text that could
 * begin a stop (whitespace, at most the longest stop's length less one) is held until the next text says.
 */
export class LocalStop {
  private held = '';
  private readonly longest: number;

  constructor(private readonly stops: readonly string[]) {
    this.longest = longestStop(stops);
  }

  feed(text: string): { out: string; stopped: boolean } {
    const s = this.held + text;
    const at = firstStop(s, this.stops);
    // The earliest place whose rest may still grow into a stop (a start of one, shorter than it): a longer stop begun
    // there comes before a shorter one already complete after it (" \t\t" before "\t"), as in the whole text. Cut at
    // the shorter, a stream's answer depended on where the backend's deltas broke (" " or "").
    // The stops are whitespace alone: only the text's trailing whitespace can begin one.
    let blank = 0;
    while (blank < this.longest - 1 && blank < s.length && isSpaceText(s[s.length - 1 - blank]!)) blank++;
    const end = at >= 0 ? at : s.length;
    let keep = s.length;
    for (let k = s.length - blank; k < end; k++) {
      const tail = s.slice(k);
      if (this.stops.some((stop) => stop.length > tail.length && stop.startsWith(tail))) {
        keep = k;
        break;
      }
    }
    if (keep === s.length && at >= 0) {
      this.held = '';
      return { out: s.slice(0, at), stopped: true };
    }
    this.held = s.slice(keep);
    return { out: s.slice(0, keep), stopped: false };
  }

  /**
   * What is held, as it came: the text's run ends at something else (a tool call, reasoning) and the text after it is
   * read anew — as the whole answer's text is not, joined across such blocks, in the unstreamed reading (release too).
   */
  release(): string {
    const s = this.held;
    this.held = '';
    return s;
  }

  /** What is held, given up (no more text comes): cut at a stop it holds whole (a longer one it might begin did not come). */
  flush(): { out: string; stopped: boolean } {
    const s = this.held;
    this.held = '';
    const at = firstStop(s, this.stops);
    return at >= 0 ? { out: s.slice(0, at), stopped: true } : { out: s, stopped: false };
  }
}
