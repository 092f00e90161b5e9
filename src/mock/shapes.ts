/**
 * The JSON vLLM answers, as fixed fragments around the generated text, so a mock can stream any length
 * of output without building it in memory. Field order follows vLLM's.
 */
import { SSE_DONE } from '../openai/sse.js';
import type { Framing } from './framing.js';

export type Endpoint = 'chat' | 'completions';

export interface Answer {
  endpoint: Endpoint;
  id: string;
  created: number;
  model: string;
  fingerprint: string;
  promptTokens: number;
  /** With a prefix cache: prompt tokens served from it (vLLM's `prompt_tokens_details.cached_tokens`). */
  cachedTokens?: number | undefined;
  completionTokens: number;
}

function head(a: Answer, object: string): string {
  return (
    `{"id":${JSON.stringify(a.id)},"object":"${object}","created":${a.created},` +
    `"model":${JSON.stringify(a.model)},"system_fingerprint":${JSON.stringify(a.fingerprint)}`
  );
}

export function usageJson(a: Answer): string {
  const total = a.promptTokens + a.completionTokens;
  const details = a.cachedTokens === undefined ? '' : `,"prompt_tokens_details":{"cached_tokens":${a.cachedTokens}}`;
  return `{"prompt_tokens":${a.promptTokens},"total_tokens":${total},"completion_tokens":${a.completionTokens}${details}}`;
}

/** Non-streamed body: `before` + text + `after`. */
export function bodyFrame(a: Answer): { before: string; after: string } {
  if (a.endpoint === 'chat') {
    return {
      before: `${head(a, 'chat.completion')},"choices":[{"index":0,"message":{"role":"assistant","content":"`,
      after:
        '","refusal":null,"tool_calls":[]},"logprobs":null,"finish_reason":"length","stop_reason":null}],' +
        `"usage":${usageJson(a)},"prompt_logprobs":null}`,
    };
  }
  return {
    before: `${head(a, 'text_completion')},"choices":[{"index":0,"text":"`,
    after: `","logprobs":null,"finish_reason":"length","stop_reason":null,"prompt_logprobs":null}],"usage":${usageJson(a)}}`,
  };
}

/** One SSE event of streamed text: `before` + text + `after` (or `lastAfter` on the final chunk). */
export function chunkFrame(a: Answer): { before: string; after: string; lastAfter: string } {
  if (a.endpoint === 'chat') {
    const before = `data: ${head(a, 'chat.completion.chunk')},"choices":[{"index":0,"delta":{"content":"`;
    return {
      before,
      after: `"},"logprobs":null,"finish_reason":null}]}\n\n`,
      lastAfter: `"},"logprobs":null,"finish_reason":"length","stop_reason":null}]}\n\n`,
    };
  }
  return {
    before: `data: ${head(a, 'text_completion')},"choices":[{"index":0,"text":"`,
    after: `","logprobs":null,"finish_reason":null,"stop_reason":null}]}\n\n`,
    lastAfter: `","logprobs":null,"finish_reason":"length","stop_reason":null}]}\n\n`,
  };
}

/** vLLM's first chat chunk announces the role before any text. */
export function roleEvent(a: Answer): string {
  const choices = '"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]';
  return `data: ${head(a, 'chat.completion.chunk')},${choices}}\n\n`;
}

/** The usage-only chunk of `stream_options.include_usage`: no choices. */
export function usageEvent(a: Answer): string {
  const object = a.endpoint === 'chat' ? 'chat.completion.chunk' : 'text_completion';
  return `data: ${head(a, object)},"choices":[],"usage":${usageJson(a)}}\n\n`;
}

/** vLLM's error body (its `code` is the numeric status, unlike OpenAI's string codes). */
export function vllmError(status: number, message: string, type: string, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code: status } });
}

/** A refusal's body in a dialect: its status, what it says, and the request field it names (if any). */
export type ErrorBody = (status: number, message: string, param?: string | null) => string;

/** vLLM's refusals, typed by status as its exception handlers type them. */
export const vllmRefusal: ErrorBody = (status, message, param = null) =>
  vllmError(status, message, status === 404 ? 'NotFoundError' : status >= 500 ? 'InternalServerError' : 'BadRequestError', param);

/** vLLM's framing of an answer; `usage`: the stream ends with the usage chunk (asked for, and no no-usage quirk). */
export function vllmFraming(a: Answer, usage: boolean): Framing {
  return {
    body: bodyFrame(a),
    head: a.endpoint === 'chat' ? [roleEvent(a)] : [],
    chunk: chunkFrame(a),
    tail: usage ? [usageEvent(a)] : [],
    done: SSE_DONE,
    ping: ': ping\n\n',
    error: `data: ${vllmError(500, 'injected fault: the stream failed mid-answer', 'InternalServerError')}\n\n`,
  };
}

/**
 * vLLM's answer calling one tool: as a body, and as stream events (`done`: end with [DONE]). The events are
 * made one by one as they are read, one per argument fragment, so a long call never sits whole in memory.
 */
export function vllmToolCall(
  a: Answer,
  call: { id: string; name: string; arguments: string },
  fragments: Iterable<string>,
  usage: boolean,
  done: boolean,
  /** "length" when max_tokens cut the call's arguments. */
  finish: 'tool_calls' | 'length' = 'tool_calls',
): { body: string; events: Iterable<string> } {
  const fn = `{"name":${JSON.stringify(call.name)},"arguments":${JSON.stringify(call.arguments)}}`;
  const body =
    `${head(a, 'chat.completion')},"choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,` +
    `"tool_calls":[{"id":${JSON.stringify(call.id)},"type":"function","function":${fn}}]},"logprobs":null,` +
    `"finish_reason":"${finish}","stop_reason":null}],"usage":${usageJson(a)},"prompt_logprobs":null}`;
  const chunk = (delta: string, finish = 'null') =>
    `data: ${head(a, 'chat.completion.chunk')},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
  const start = `{"id":${JSON.stringify(call.id)},"type":"function","index":0,"function":{"name":${JSON.stringify(call.name)},"arguments":""}}`;
  function* events(): Generator<string> {
    yield roleEvent(a);
    yield chunk(`{"tool_calls":[${start}]}`);
    for (const f of fragments) yield chunk(`{"tool_calls":[{"index":0,"function":{"arguments":${JSON.stringify(f)}}}]}`);
    yield chunk('{"content":""}', `"${finish}"`);
    if (usage) yield usageEvent(a);
    if (done) yield SSE_DONE;
  }
  return { body, events: events() };
}
