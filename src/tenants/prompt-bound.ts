/**
 * The most prompt tokens a request can hold, however a backend counts them: a backend's figure past it is its
 * error, not usage. A count taken as reported put a tenant in debt for as long as the backend liked: 10^15 prompt
 * tokens for a 2-character prompt (capped at 2^24 before) kept its tenant at 429 for ~14 hours at 20,000 tpm.
 *
 * A byte-level BPE makes at most one token per byte of text; a chat template adds a few tokens per message (each
 * message is dozens of bytes: within twice the bytes) and a preamble of its own (BASE_TOKENS). A part that is not
 * text — an image, audio, a video, a file — may be a URL or an id of a few bytes that costs the model far more
 * (an image up to ~16k tokens on a vLLM vision model at its default resolution): each part with a `type` may add
 * PART_TOKENS. Generous by design: the bound only stops a count no request could reach.
 */
import type { ProxyRequest } from '../openai/parse-request.js';

const BASE_TOKENS = 4096;
const PART_TOKENS = 32_768;
const TYPE_NAME = Buffer.from('"type"');

/** The bound before parts: checked first, so that a usual count costs one comparison. */
export function textTokensBound(p: ProxyRequest): number {
  return 2 * p.bytes + BASE_TOKENS;
}

/** The whole bound: the text's, and PART_TOKENS for each member named `type` in the request (its parts, at most). */
export function promptTokensBound(p: ProxyRequest): number {
  return textTokensBound(p) + PART_TOKENS * typedParts(p);
}

/** Members named `type` in the request: in the bytes sent (a pass-through), else in its parsed body (a translation). */
function typedParts(p: ProxyRequest): number {
  const body = p.sentBody;
  if (body) {
    let n = 0;
    for (let at = body.indexOf(TYPE_NAME); at >= 0; at = body.indexOf(TYPE_NAME, at + TYPE_NAME.length)) n++;
    return n;
  }
  // Walked without recursion: a body may nest as deep as its size allows.
  let n = 0;
  const stack: unknown[] = [p.json];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === 'object') {
      if ('type' in v) n++;
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return n;
}
