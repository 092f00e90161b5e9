/**
 * Anthropic client → Anthropic backend: the bytes pass through untranslated; this only looks. It reads
 * what accounting needs off the stream's events as they pass (usage from message_start and message_delta,
 * the end, the first content, the model), and the usage out of a non-streamed Message's last bytes.
 */
import { type AigwError, aigwError } from '../core/errors.js';
import { ErrorBody, MessageDeltaEvent, MessageStartEvent } from '../anthropic/response.js';
import type { SseEvent } from '../openai/sse.js';
import { type TokenUsage, usageFromAnthropic } from './mapping.js';
import { deltaTokensAtLeast } from './output-estimate.js';
import { parseData } from './stream.js';

export class AnthropicStreamTap {
  usage: TokenUsage | undefined;
  completed = false;
  error: AigwError | undefined;
  contentStarted = false;
  /** content_block_delta events seen (zero: no output yet). */
  deltas = 0;
  /** The output tokens those deltas carried, at least: the estimate of a stream that ends without its final usage. */
  deltaTokens = 0;
  model: string | undefined;
  /** The usage's output is message_start's placeholder (Anthropic sends 1) until a message_delta carries usage. */
  outputProvisional = true;

  /** Looks at one event on its way to the client. Text deltas are recognised by their `event:` line, not parsed. */
  observe(ev: SseEvent): void {
    if (ev.data === undefined || this.completed) return;
    const name = ev.event ?? typeOf(ev.data);
    switch (name) {
      case 'content_block_delta':
        this.deltas++;
        this.deltaTokens += deltaTokensAtLeast(ev.data);
        this.contentStarted = true;
        return;
      case 'content_block_start':
        this.contentStarted = true;
        return;
      case 'message_start': {
        const e = MessageStartEvent.safeParse(parseData(ev.data));
        if (e.success) {
          this.model = e.data.message.model;
          this.usage = usageFromAnthropic(e.data.message.usage);
        }
        return;
      }
      case 'message_delta': {
        const e = MessageDeltaEvent.safeParse(parseData(ev.data));
        if (e.success && e.data.usage) {
          this.usage = usageFromAnthropic(e.data.usage, this.usage);
          this.outputProvisional = false;
        }
        return;
      }
      case 'message_stop':
        this.completed = true;
        return;
      case 'error': {
        const e = ErrorBody.safeParse(parseData(ev.data));
        const what = e.success ? `${e.data.error.type}: ${e.data.error.message}` : 'unreadable error event';
        this.error = aigwError('upstream_stream_error', `backend stream error (${what.slice(0, 500)})`);
        return;
      }
    }
  }
}

/** The `type` of an event's data when the backend sent no `event:` line. */
function typeOf(data: string): string | undefined {
  const v = parseData(data);
  const t = v && typeof v === 'object' ? (v as { type?: unknown }).type : undefined;
  return typeof t === 'string' ? t : undefined;
}

const COUNT = (field: string) => new RegExp(`"${field}"\\s*:\\s*(\\d+)`);
const INPUT = COUNT('input_tokens');
const OUTPUT = COUNT('output_tokens');
const CACHE_READ = COUNT('cache_read_input_tokens');
const CACHE_CREATION = COUNT('cache_creation_input_tokens');

/**
 * The usage of a non-streamed Message from the end of its text (the last `"usage"`): Anthropic puts usage
 * last, so the relay's tail window holds it however long the answer was.
 */
export function anthropicUsageIn(text: string): TokenUsage | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const tail = text.slice(at);
  const input = INPUT.exec(tail);
  const output = OUTPUT.exec(tail);
  if (!input && !output) return undefined;
  const cacheRead = Number(CACHE_READ.exec(tail)?.[1] ?? 0);
  const cacheCreation = Number(CACHE_CREATION.exec(tail)?.[1] ?? 0);
  return {
    input: Number(input?.[1] ?? 0) + cacheRead + cacheCreation,
    output: Number(output?.[1] ?? 0),
    cacheRead,
    cacheCreation,
  };
}
