/**
 * A non-streamed answer whose client speaks the other API: it cannot be translated before it is whole, so it is
 * held — at most `maxBytes` (limits.responseBuffer.maxBytes), past which the attempt fails with 502
 * response_too_large before any byte reached the client — then parsed and translated in one piece, and sent
 * with its length. An answer that cannot be read is a 502 bad_upstream_response, never a guess.
 */
import { HeldBytes } from '../core/held-bytes.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { Scrub } from '../core/scrub.js';
import { aigwError } from '../core/errors.js';
import type { AnswerResult } from '../translate/translated.js';
import type { Downstream } from './downstream.js';
import { downstreamHeaders } from './headers.js';
import { type Usage, usageOfTokens } from './usage-tap.js';
import { utf8Text, withoutBom } from '../core/utf8-text.js';
import { ErrorHead, Verdict } from './error-head.js';

export class TranslatedBodyRelay {
  private readonly held = new HeldBytes();
  received = 0;

  constructor(
    private readonly out: Downstream,
    private readonly maxBytes: number,
    private readonly status: number,
    private readonly headers: IncomingHttpHeaders,
    /** `text`: the JSON text `json` was parsed from (a translation may repeat a part of it as the backend wrote it). */
    private readonly translate: (json: unknown, text: string) => AnswerResult,
    private readonly scrub: Scrub,
  ) {}

  /** The declared length is already over the bound. */
  overflowsUpFront(): boolean {
    const cl = this.headers['content-length'];
    return cl !== undefined && /^\d+$/.test(cl) && Number(cl) > this.maxBytes;
  }

  /** Holds a chunk; false once the body is over the bound (what was held is dropped). */
  push(chunk: Buffer): boolean {
    this.received += chunk.length;
    if (this.received > this.maxBytes) {
      this.held.clear();
      return false;
    }
    this.held.push(chunk);
    return true;
  }

  /** The backend's body as it came (for counting an answer that carried no usage). */
  upstreamBody(): Buffer {
    // Held on as one piece: the answer is read again after (translated, or counted).
    const body = this.held.take();
    this.held.push(body);
    return body;
  }

  /**
   * The body is an error object, told as a 2xx passing through is (error-head.ts: its first member `"error"`, or a
   * `"type"` or `"object"` of `"error"`): the backend's error, not an answer its translation failed to read.
   */
  isErrorObject(): boolean {
    const scan = new ErrorHead();
    const told = scan.feed(this.upstreamBody());
    return (told === Verdict.Undecided ? scan.end() : told) === Verdict.Error;
  }

  /**
   * The whole answer arrived: translated and sent, or the error to fail the attempt with (nothing sent) — marked
   * `written` when it is refused for what the model wrote (translate/translated.ts).
   */
  end(): AnswerResult<{ usage: Usage | undefined; model: string }> {
    let json: unknown;
    // Past a byte-order mark: the same body passed through is an answer, so translated it is one too (not a 502 tried on
    // every target).
    const text = withoutBom(utf8Text(this.upstreamBody()).text);
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, error: aigwError('bad_upstream_response', 'the backend answered with a body that is not JSON') };
    }
    const answer = this.translate(json, text);
    if (!answer.ok) return answer;
    const h = downstreamHeaders(this.headers, {}, this.scrub);
    delete h['content-encoding'];
    h['content-type'] = 'application/json';
    h['content-length'] = String(Buffer.byteLength(answer.value.body));
    this.out.writeHead(this.status, h);
    this.out.end(answer.value.body);
    const u = answer.value.usage;
    return { ok: true, value: { usage: u && usageOfTokens(u, false), model: answer.value.model } };
  }
}
