/**
 * The one interface the relay drives when client and backend speak different streaming APIs: upstream SSE
 * events go in one at a time, client frames come out at once — nothing is held beyond the current event —
 * and what accounting needs (usage, a proper end, the first content, the model) is read off as it passes.
 */
import { type AigwError, aigwError } from '../core/errors.js';
import { NO_SCRUB, type Scrub } from '../core/scrub.js';
import type { SseEvent } from '../openai/sse.js';
import type { TokenUsage } from './mapping.js';

export interface StreamTranslator {
  /** One upstream event → the frames to write to the client now (undefined: nothing to write). */
  push(event: SseEvent): string | undefined;
  /**
   * The upstream body ended. A stream that ended properly gets its closing frames if any are due; one that
   * ended early gets the client's error frame — never a fabricated clean end.
   */
  end(): string | undefined;
  /** The upstream broke (reset, idle timeout): the client's error frame, unless the stream had already ended. */
  fail(err: AigwError): string | undefined;
  /** The backend's usage as reported so far; undefined until it reported any. */
  readonly usage: TokenUsage | undefined;
  /** The backend ended its answer properly (`[DONE]` / `message_stop`, or an OpenAI finish_reason then a clean end). */
  readonly completed: boolean;
  /** `completed` by the translation before the backend's end (a stop sequence it applies): the rest is not waited for. */
  readonly endedEarly?: boolean;
  /** Set when the stream was ended with an error frame (a backend error event, or an event that cannot be read). */
  readonly error: AigwError | undefined;
  /**
   * `error` is the backend's own error event (the event just pushed), not the translation's refusal of what it sent:
   * the relay judges it by the status it means, as it judges one passed through (relay/exchange.ts).
   */
  readonly backendError?: boolean;
  /**
   * The backend said in its answer that it gave up on it (vLLM's finish_reason `abort` or `error`, the engine failing
   * or dropping the request mid-generation): the backend's failure, as its error event saying a server fault is.
   */
  readonly backendGaveUp?: boolean;
  /** The first content (text, reasoning or a tool call) has been sent: the moment TTFT measures. */
  readonly contentStarted: boolean;
  /** The model the backend says answered, once it said so. */
  readonly model: string | undefined;
  /** Output tokens the events so far carried, at least (output-estimate.ts), where the translator reads them. */
  readonly outputEstimate?: number;
  /** The usage's output count is a placeholder so far (Anthropic's message_start), not the backend's final count. */
  readonly outputProvisional?: boolean;
}

const MAX_ERROR_MESSAGE = 500;

/**
 * How both translators end: properly once the backend finished its answer, with the client's error frame
 * otherwise — once, and nothing after either.
 */
export abstract class TranslatorEnding {
  usage: TokenUsage | undefined;
  completed = false;
  error: AigwError | undefined;
  backendError = false;
  backendGaveUp = false;
  contentStarted = false;
  model: string | undefined;

  /** `scrub`: removes configured secrets from a backend's text in the error frame, before it is cut to length. */
  constructor(private readonly scrub: Scrub = NO_SCRUB) {}

  /** The client's error frame. */
  protected abstract errorFrame(err: AigwError): string;
  /** The backend said why its answer stopped (finish_reason, stop_reason). */
  protected abstract stopSeen(): boolean;
  /** The closing frames of an answer that finished; sets `completed`. */
  protected abstract finish(): string;

  end(): string | undefined {
    if (this.completed || this.error) return undefined;
    // An OpenAI backend that ends cleanly after its finish_reason but forgets [DONE] still finished its answer (the
    // openai SDK reads such a stream); an Anthropic stream needs its message_stop (stopSeen is false there).
    if (this.stopSeen()) return this.finish();
    return this.abort(aigwError('upstream_stream_error', "the backend's stream ended before its answer was complete"));
  }

  fail(err: AigwError): string | undefined {
    if (this.completed || this.error) return undefined;
    return this.abort(err);
  }

  /**
   * Ends the stream with the client's error frame. A backend's message is repeated to the client: secrets removed
   * from its decoded text first (rendered, an escape could hide one; cut, a part of one would go), then cut short.
   */
  protected abort(err: AigwError): string {
    const message = this.scrub(err.message);
    this.error =
      message.length > MAX_ERROR_MESSAGE
        ? { ...err, message: `${message.slice(0, MAX_ERROR_MESSAGE)}…` }
        : message === err.message
          ? err
          : { ...err, message };
    return this.errorFrame(this.error);
  }
}

/** One Anthropic SSE event. JSON text never holds a raw newline, so one data line is always enough. */
export function anthropicFrame(type: string, json: string): string {
  return `event: ${type}\ndata: ${json}\n\n`;
}

/** One OpenAI SSE event. */
export function openAIFrame(json: string): string {
  return `data: ${json}\n\n`;
}

/** The data of an upstream event as JSON, or undefined when it is not JSON (or nests beyond V8's limits). */
export function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/**
 * The `error` object a backend sends mid-stream (`data: {"error":{…}}`), if this event is one — or the event
 * itself in vLLM's older shape (`{"object":"error","message":…}`), which went through as an empty chunk.
 */
export function streamErrorIn(value: unknown): { message: string; type: string | undefined } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  // As the client's SDK reads it: an `error` that is not empty (`"error": null` in every chunk is content).
  if (!(value as { error?: unknown }).error)
    return (value as { object?: unknown }).object === 'error' ? streamErrorIn({ error: value }) : undefined;
  const e = (value as { error: unknown }).error;
  if (!e || typeof e !== 'object') return { message: typeof e === 'string' ? e : 'backend stream error', type: undefined };
  const o = e as Record<string, unknown>;
  return {
    message: typeof o.message === 'string' ? o.message : 'backend stream error',
    type: typeof o.type === 'string' ? o.type : undefined,
  };
}
