/**
 * The most prompt tokens a request can hold, however a backend counts them: a backend's figure past it is its
 * error, not usage. A count taken as reported put a tenant in debt for as long as the backend liked: 10^15 prompt
 * tokens for a 2-character prompt (capped at 2^24 before) kept its tenant at 429 for ~14 hours at 20,000 tpm.
 *
 * A byte-level BPE makes at most one token per byte of text; a chat template adds a few tokens per message (each
 * message is dozens of bytes: within twice the bytes) and a preamble of its own (BASE_TOKENS). An image or audio
 * part may be a URL of a few bytes that costs a model far more (an image up to ~16k tokens on a vLLM vision model at
 * its default resolution): PART_TOKENS each. What a backend fetches or expands beyond that — a document or file
 * (a PDF of many pages), a video, a server tool's web pages — has no bound to be read off the request: a request
 * holding a part of any kind not known here is charged as reported (up to the absolute cap). So is a request naming
 * a field by which the backend writes the prompt itself (EXPANDING_PATHS), whatever types its parts have.
 */
import type { ProxyRequest } from '../openai/parse-request.js';

const BASE_TOKENS = 4096;
/** The most an image or audio part may cost beyond its bytes (see above). */
export const PART_TOKENS = 32_768;
/**
 * What a client that left before the backend counted its prompt is charged for each part the tokenizer cannot read
 * (an image, audio, a file, a video): a full-size image as providers count one — Anthropic's ~1,600 tokens at 1.15
 * megapixels; OpenAI's high-detail 1024×1024 is 765, Qwen2-VL's default 1280 × 28² pixels 1,280. Not PART_TOKENS, the
 * most one may cost: a user's stop of a vision chat (a chat UI's everyday cancel) would cost 32k tokens a picture. A
 * part a backend counts dearer is cheaper by the difference to a client that leaves early: discounted, never free.
 */
export const LEFT_PART_TOKENS = 1_600;

/**
 * The parts of a request body whose cost is not in its text: `media` counts its image and audio parts (each up to
 * PART_TOKENS), `other` its parts of a kind not known here (a document, a file, a video: no bound). Every other `type` a
 * request holds costs its bytes: text and tool blocks, tool choices, response formats, cache control, image sources,
 * and JSON Schema's types (tool parameters). Self-contained, its lists within: the tokenizer thread runs it serialised
 * (token-worker.ts). Walked without recursion: a body may nest as deep as its size allows.
 */
export function promptParts(body: unknown): { media: number; other: number } {
  const media = new Set(['image_url', 'image', 'input_image', 'input_audio', 'audio']);
  const inBytes = new Set([
    ...['text', 'input_text', 'output_text', 'refusal', 'thinking', 'redacted_thinking', 'tool_use', 'tool_result'],
    ...['function', 'custom', 'auto', 'any', 'tool', 'none', 'required', 'json_schema', 'json_object'],
    ...['enabled', 'disabled', 'ephemeral', 'base64', 'url'],
    ...['object', 'string', 'number', 'integer', 'boolean', 'array', 'null'],
  ]);
  let parts = 0;
  let other = 0;
  const stack: unknown[] = [body];
  while (stack.length) {
    const v = stack.pop();
    if (Array.isArray(v)) for (const x of v) stack.push(x);
    else if (v !== null && typeof v === 'object') {
      const type = (v as { type?: unknown }).type;
      if (typeof type === 'string') {
        if (media.has(type)) parts++;
        else if (!inBytes.has(type)) other++;
      }
      for (const x of Object.values(v)) stack.push(x);
    }
  }
  return { media: parts, other };
}

/** Content parts the walk for inline media reads; past them, what it found is discounted and the rest keeps its bytes. */
const MEDIA_WALK_PARTS = 16_384;

/**
 * How many of a body's estimated prompt tokens (its bytes / 3, estimate.ts) its inline image and audio parts hold past
 * what one can cost (PART_TOKENS each): a part's base64 is bytes, not tokens — a 600 KB picture was reserved ~200,000
 * tokens, and a tenant of 100,000 tpm was refused it for good, for an answer its backend counted 1,200. Only where the
 * APIs put such a part — a message's content (and an Anthropic tool_result's), typed as one — and only its payload:
 * an OpenAI `image_url` that is a `data:` URL, an `input_audio`'s data, an Anthropic `base64` source's data. Any
 * object typed `image` was discounted whole, wherever it stood: a message of 600 KB of text typed `image` was
 * reserved a sixth of its bytes. Parts of kinds not known here (a document, a video: no bound) keep their bytes. Read
 * only when the body is large enough for a part to pass the bound; admission runs on the event loop.
 */
export function inlineMediaExcess(body: unknown, bytes: number): number {
  if (bytes <= 3 * PART_TOKENS) return 0;
  const messages = (body as { messages?: unknown } | null)?.messages;
  if (!Array.isArray(messages)) return 0;
  let excess = 0;
  let budget = MEDIA_WALK_PARTS;
  for (const m of messages) {
    const content = (m as { content?: unknown } | null)?.content;
    if (!Array.isArray(content)) continue;
    for (const part of content) {
      if (--budget < 0) return excess;
      excess += partExcess(part);
      // An Anthropic tool_result's content holds parts of its own (images among them), one level down.
      const inner =
        (part as { type?: unknown; content?: unknown } | null)?.type === 'tool_result'
          ? (part as { content?: unknown }).content
          : undefined;
      if (Array.isArray(inner))
        for (const q of inner) {
          if (--budget < 0) return excess;
          excess += partExcess(q);
        }
    }
  }
  return excess;
}

/** An inline image or audio part's payload tokens (its characters / 3) past PART_TOKENS; 0 for anything else. */
function partExcess(part: unknown): number {
  if (part === null || typeof part !== 'object') return 0;
  const p = part as { type?: unknown; image_url?: unknown; input_audio?: unknown; source?: unknown };
  let payload: unknown;
  if (p.type === 'image_url') {
    const url = typeof p.image_url === 'string' ? p.image_url : (p.image_url as { url?: unknown } | null)?.url;
    payload = typeof url === 'string' && url.startsWith('data:') ? url : undefined;
  } else if (p.type === 'input_audio') payload = (p.input_audio as { data?: unknown } | null)?.data;
  else if (p.type === 'image') {
    const source = p.source as { type?: unknown; data?: unknown } | null;
    payload = source?.type === 'base64' ? source.data : undefined;
  }
  return typeof payload === 'string' ? Math.max(0, Math.ceil(payload.length / 3) - PART_TOKENS) : 0;
}

/**
 * Where a request names something the backend expands into the prompt, beyond any bound its bytes give: Anthropic's
 * MCP connector (`mcp_servers`: each server's tool definitions, and its tools' results, are input tokens — its entries
 * are typed "url", as an image's source is, and were read as costing their bytes) and vLLM's `chat_template` (a Jinja
 * template the client writes, rendered into the prompt: a loop writes any length), which vLLM before 0.11 also took
 * from `chat_template_kwargs`. A 300-byte request naming one was charged ~4,700 tokens where its backend counted
 * 150,000. vLLM's `prompt_embeds` too: a tensor a prompt token a row, which vLLM takes in sparse layouts — rows of
 * any number in a few bytes (eight entries of ~100 bytes, 400,000 prompt tokens, were charged 5,740). And vLLM's
 * `mm_processor_kwargs`, which its multimodal processor takes per request: `max_pixels` (Qwen2-VL's, and others'
 * likes) sets how many tokens an image becomes, past PART_TOKENS — a 10,000-pixel square is ~127,000 tokens: an image
 * URL with it, counted 80,000 prompt tokens by its backend, was charged ~37,000.
 */
const EXPANDING_PATHS: readonly (readonly string[])[] = [
  ['mcp_servers'],
  ['chat_template'],
  ['chat_template_kwargs', 'chat_template'],
  ['prompt_embeds'],
  ['mm_processor_kwargs'],
];

/** The bound before parts: checked first, so that a usual count costs one comparison. */
export function textTokensBound(p: ProxyRequest): number {
  return 2 * p.bytes + BASE_TOKENS;
}

/**
 * The whole bound: the text's, PART_TOKENS an image or audio part, and a completions batch's suffix once more for each
 * prompt after the first; Infinity when a part's cost cannot be bounded.
 */
export function promptTokensBound(p: ProxyRequest): number {
  let body: unknown = p.json;
  if (p.sentBody) {
    try {
      body = JSON.parse(p.sentBody.toString('utf8'));
    } catch {
      return Number.POSITIVE_INFINITY;
    }
  }
  if (expandsPrompt(body)) return Number.POSITIVE_INFINITY;
  const { media, other } = promptParts(body);
  return other > 0 ? Number.POSITIVE_INFINITY : textTokensBound(p) + PART_TOKENS * media + repeatedSuffix(p, body);
}

/**
 * What a completions batch's `suffix` adds beyond its bytes: written once, it is read after each of the batch's prompts
 * (token-worker.ts completionPrompt) — twice its bytes for each prompt after the first, as the text bound counts text.
 * Held to the bytes alone, a batch of 20 one-letter prompts with ~4,000 tokens of suffix, which its backend counted
 * as 80,020 prompt tokens, was charged ~44,000.
 */
function repeatedSuffix(p: ProxyRequest, body: unknown): number {
  if (p.endpoint !== 'completions' || body === null || typeof body !== 'object') return 0;
  const { prompt, suffix } = body as { prompt?: unknown; suffix?: unknown };
  if (typeof suffix !== 'string' || !Array.isArray(prompt) || prompt.length < 2 || typeof prompt[0] === 'number') return 0;
  return 2 * Buffer.byteLength(suffix) * (prompt.length - 1);
}

/** Whether the body names something at an EXPANDING_PATHS place (an empty list, object or string, or null, expands nothing). */
function expandsPrompt(body: unknown): boolean {
  for (const path of EXPANDING_PATHS) {
    let v = body;
    for (const key of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[key] : undefined;
    if (v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    return true;
  }
  return false;
}
