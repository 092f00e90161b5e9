/**
 * Whether a text read in pieces is still the start of a JSON object, read as JSON.parse reads one: a streamed tool
 * call's arguments on their way to an Anthropic client. The Anthropic SDK parses a tool_use block's input_json_delta
 * text at its content_block_stop; it completes a text cut short (drops a partial last token, closes what is open), but
 * throws for one that is not the start of JSON. A call cut by the token limit is sent so, as Anthropic sends one: only
 * what is still a start of a JSON object may have gone to the client. Each character is looked at once.
 */

enum S {
  /** Blanks, then `{`. */
  Start,
  /** After `{`: a key or `}`. */
  ObjectFirst,
  /** After `,` in an object: a key. */
  Key,
  /** After a key: `:`. */
  Colon,
  /** After `:`, or `,` in an array: a value. */
  Value,
  /** After `[`: a value or `]`. */
  ArrayFirst,
  /** After a value: `,` or the closer of what is open. */
  After,
  Str,
  Escape,
  Hex,
  /** `-`: a digit must follow. */
  Minus,
  /** A leading `0`: no digit may follow. */
  Zero,
  Int,
  /** `.`: a digit must follow. */
  Dot,
  Frac,
  /** `e`: a sign or digit must follow. */
  Exp,
  /** The exponent's sign: a digit must follow. */
  ExpSign,
  ExpDigits,
  Literal,
  /** The object closed: blanks only. */
  Done,
  /** Not the start of a JSON object any more. */
  Bad,
}

const OBJECT = 0;
const ARRAY = 1;
/** Levels a number holds (a small integer's bits): most arguments nest less, and allocate nothing for it. */
const LEVELS = 30;

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);

export class JsonObjectPrefix {
  private state = S.Start;
  /** The string being read is a key (a `:` follows it). */
  private key = false;
  /** Hex digits of a `\u` escape still due. */
  private hex = 0;
  private literal = '';
  private literalAt = 0;
  /**
   * What is open, a bit a level (OBJECT or ARRAY): the first LEVELS in `low`, deeper ones in `high`, LEVELS a number —
   * grown as it deepens (the arguments' length bounds it).
   */
  private low = 0;
  private high: number[] | undefined;
  private depth = 0;

  /** Reads a new text from its start. */
  reset(): void {
    this.state = S.Start;
    this.low = this.depth = 0;
    this.high = undefined;
  }

  /** The text so far is still the start of a JSON object. */
  get valid(): boolean {
    return this.state !== S.Bad;
  }

  /**
   * Reads `piece`, the next of the text: how many of its characters leave the text the start of a JSON object (all of
   * them, or where it stops being one; none once it stopped).
   */
  feed(piece: string): number {
    for (let i = 0; i < piece.length; i++) {
      if (!this.step(piece.charCodeAt(i))) {
        this.state = S.Bad;
        return i;
      }
    }
    return piece.length;
  }

  private step(c: number): boolean {
    switch (this.state) {
      case S.Start:
        if (isBlank(c)) return true;
        return c === 0x7b && this.push(OBJECT, S.ObjectFirst);
      case S.ObjectFirst:
        return c === 0x7d ? this.close(OBJECT) : this.keyStart(c);
      case S.Key:
        return this.keyStart(c);
      case S.Colon:
        if (isBlank(c)) return true;
        if (c !== 0x3a) return false;
        this.state = S.Value;
        return true;
      case S.ArrayFirst:
        if (c === 0x5d) return this.close(ARRAY);
        return this.value(c);
      case S.Value:
        return this.value(c);
      case S.After:
        return this.after(c);
      case S.Str:
        if (c === 0x22) this.state = this.key ? S.Colon : S.After;
        else if (c === 0x5c) this.state = S.Escape;
        else if (c < 0x20) return false;
        return true;
      case S.Escape:
        if (c === 0x75) {
          this.hex = 4;
          this.state = S.Hex;
          return true;
        }
        this.state = S.Str;
        // " \ / b f n r t
        return c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74;
      case S.Hex:
        if (!isHex(c)) return false;
        if (--this.hex === 0) this.state = S.Str;
        return true;
      case S.Minus:
        if (c === 0x30) this.state = S.Zero;
        else if (isDigit(c)) this.state = S.Int;
        else return false;
        return true;
      case S.Zero:
        return this.fraction(c) || this.after(c);
      case S.Int:
        return isDigit(c) || this.fraction(c) || this.after(c);
      case S.Dot:
        if (!isDigit(c)) return false;
        this.state = S.Frac;
        return true;
      case S.Frac:
        return isDigit(c) || this.exponent(c) || this.after(c);
      case S.Exp:
        if (c === 0x2b || c === 0x2d) this.state = S.ExpSign;
        else if (isDigit(c)) this.state = S.ExpDigits;
        else return false;
        return true;
      case S.ExpSign:
        if (!isDigit(c)) return false;
        this.state = S.ExpDigits;
        return true;
      case S.ExpDigits:
        return isDigit(c) || this.after(c);
      case S.Literal:
        if (c !== this.literal.charCodeAt(this.literalAt)) return false;
        if (++this.literalAt === this.literal.length) this.state = S.After;
        return true;
      case S.Done:
        return isBlank(c);
      default:
        return false;
    }
  }

  /** A blank, or the quote that opens a key. */
  private keyStart(c: number): boolean {
    if (isBlank(c)) return true;
    if (c !== 0x22) return false;
    this.key = true;
    this.state = S.Str;
    return true;
  }

  /** The first character of a value. */
  private value(c: number): boolean {
    if (isBlank(c)) return true;
    switch (c) {
      case 0x7b:
        return this.push(OBJECT, S.ObjectFirst);
      case 0x5b:
        return this.push(ARRAY, S.ArrayFirst);
      case 0x22:
        this.key = false;
        this.state = S.Str;
        return true;
      case 0x2d:
        this.state = S.Minus;
        return true;
      case 0x30:
        this.state = S.Zero;
        return true;
      case 0x74:
        return this.startLiteral('true');
      case 0x66:
        return this.startLiteral('false');
      case 0x6e:
        return this.startLiteral('null');
      default:
        if (!isDigit(c)) return false;
        this.state = S.Int;
        return true;
    }
  }

  /** After a value: a blank, the next member or item, or the closer of what is open. */
  private after(c: number): boolean {
    this.state = S.After;
    if (isBlank(c)) return true;
    const inside = this.kindAt(this.depth - 1);
    if (c === 0x2c) {
      this.state = inside === OBJECT ? S.Key : S.Value;
      return true;
    }
    if (c === 0x7d) return this.close(OBJECT);
    return c === 0x5d && this.close(ARRAY);
  }

  /** `.` or an exponent after a number's integer part. */
  private fraction(c: number): boolean {
    if (c !== 0x2e) return this.exponent(c);
    this.state = S.Dot;
    return true;
  }

  private exponent(c: number): boolean {
    if (c !== 0x65 && c !== 0x45) return false;
    this.state = S.Exp;
    return true;
  }

  private startLiteral(word: string): boolean {
    this.literal = word;
    this.literalAt = 1;
    this.state = S.Literal;
    return true;
  }

  private push(kind: number, next: S): boolean {
    const d = this.depth++;
    if (d < LEVELS) this.low = kind === ARRAY ? this.low | (1 << d) : this.low & ~(1 << d);
    else {
      const high = (this.high ??= []);
      const word = Math.floor(d / LEVELS) - 1;
      const bit = 1 << (d % LEVELS);
      if (word === high.length) high.push(0);
      high[word] = kind === ARRAY ? high[word]! | bit : high[word]! & ~bit;
    }
    this.state = next;
    return true;
  }

  /** OBJECT or ARRAY: what is open at level `d`. */
  private kindAt(d: number): number {
    const bits = d < LEVELS ? this.low : this.high![Math.floor(d / LEVELS) - 1]!;
    return (bits >> (d % LEVELS)) & 1;
  }

  private close(kind: number): boolean {
    if (this.depth === 0 || this.kindAt(this.depth - 1) !== kind) return false;
    this.depth--;
    this.state = this.depth === 0 ? S.Done : S.After;
    return true;
  }
}
