/**
 * JSON text a translation places into the body it writes as it came, not parsed and written again: a number JavaScript
 * cannot hold exactly (`12345678901234567891`, a 19-digit id) is another number once parsed (`12345678901234567000`).
 * The value to serialize holds a stand-in string for each such text, named by a nonce no client can guess, and the
 * body has the text where JSON.stringify wrote the stand-in.
 */
import { randomBytes } from 'node:crypto';
import { serialize } from './mapping.js';

export class ExactJson {
  private readonly texts: string[] = [];
  private nonce: string | undefined;

  /** The stand-in for `text` (JSON text, well-formed UTF-16) in the value to serialize. */
  hold(text: string): string {
    this.nonce ??= randomBytes(12).toString('hex');
    this.texts.push(text);
    return `\u0000${this.nonce}${this.texts.length - 1}`;
  }

  /** `value` as JSON text, each stand-in replaced by its text; undefined as serialize() says. */
  serialize(value: unknown): string | undefined {
    const body = serialize(value);
    if (body === undefined || this.nonce === undefined) return body;
    // JSON.stringify writes U+0000 as the escape `\u0000`.
    const standIn = new RegExp(`"\\\\u0000${this.nonce}(\\d+)"`, 'g');
    return body.replace(standIn, (_m, k: string) => this.texts[Number(k)]!);
  }
}
