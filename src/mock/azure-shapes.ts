/**
 * The JSON Azure OpenAI answers: OpenAI's, with Azure's content-safety extras — `prompt_filter_results` on
 * the body and on a first stream chunk that has no choices (the chunk that trips clients reading
 * `choices[0]` unguarded), `content_filter_results` on every choice — and its error shape.
 */
import { SSE_DONE } from '../openai/sse.js';
import type { Framing } from './framing.js';
import { type Answer, usageJson } from './shapes.js';

const SAFE = '{"filtered":false,"severity":"safe"}';
const CONTENT_FILTER = `{"hate":${SAFE},"self_harm":${SAFE},"sexual":${SAFE},"violence":${SAFE}}`;
const PROMPT_FILTER =
  `[{"prompt_index":0,"content_filter_results":{"hate":${SAFE},"jailbreak":{"filtered":false,"detected":false},` +
  `"self_harm":${SAFE},"sexual":${SAFE},"violence":${SAFE}}}]`;

function fields(a: Answer, object: string): string {
  return (
    `"created":${a.created},"id":${JSON.stringify(a.id)},"model":${JSON.stringify(a.model)},` +
    `"object":"${object}","system_fingerprint":${JSON.stringify(a.fingerprint)}`
  );
}

/** Azure's framing of an answer (Azure orders fields alphabetically). */
export function azureFraming(a: Answer, usage: boolean): Framing {
  const chat = a.endpoint === 'chat';
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  const tail = fields(a, object);
  const body = chat
    ? {
        before: `{"choices":[{"content_filter_results":${CONTENT_FILTER},"finish_reason":"length","index":0,"logprobs":null,"message":{"refusal":null,"role":"assistant","content":"`,
        after: `"}}],${fields(a, 'chat.completion')},"prompt_filter_results":${PROMPT_FILTER},"usage":${usageJson(a)}}`,
      }
    : {
        before: `{"choices":[{"content_filter_results":${CONTENT_FILTER},"finish_reason":"length","index":0,"logprobs":null,"text":"`,
        after: `"}],${fields(a, 'text_completion')},"prompt_filter_results":${PROMPT_FILTER},"usage":${usageJson(a)}}`,
      };
  const filters = `data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":${PROMPT_FILTER}}\n\n`;
  const role = `data: {"choices":[{"content_filter_results":{},"delta":{"content":"","refusal":null,"role":"assistant"},"finish_reason":null,"index":0,"logprobs":null}],${tail}}\n\n`;
  const open = chat
    ? `{"content_filter_results":${CONTENT_FILTER},"delta":{"content":"`
    : `{"content_filter_results":${CONTENT_FILTER},"index":0,"logprobs":null,"text":"`;
  const close = (finish: string) =>
    chat ? `"},"finish_reason":${finish},"index":0,"logprobs":null}],${tail}}\n\n` : `","finish_reason":${finish}}],${tail}}\n\n`;
  return {
    body,
    head: chat ? [filters, role] : [filters],
    chunk: { before: `data: {"choices":[${open}`, after: close('null'), lastAfter: close('"length"') },
    tail: usage ? [`data: {"choices":[],${tail},"usage":${usageJson(a)}}\n\n`] : [],
    done: SSE_DONE,
    ping: ': ping\n\n',
    error: `data: ${azureErrorJson('server_error', 'The server had an error while processing your request.')}\n\n`,
  };
}

/** Azure's error body: `{"error":{"code","message"}}` — its codes are strings such as "404" or "DeploymentNotFound". */
export function azureErrorJson(code: string, message: string, param?: string | null): string {
  return JSON.stringify(param ? { error: { code, message, param } } : { error: { code, message } });
}

/** The codes Azure words a status with ("429" is its rate limit's, "DeploymentNotFound" a 404 of its own). */
const AZURE_CODES: ReadonlyMap<number, string> = new Map([
  [400, 'BadRequest'],
  [500, 'InternalServerError'],
  [503, 'ServiceUnavailable'],
]);

/**
 * A refusal the Azure mock makes where the vLLM or TEI mock behind its checks would refuse: in Azure's shape, with a
 * string code, and a 400 for what TEI refuses 413 or 422 (Azure answers neither for a request's content). They came in
 * vLLM's shape (`"code": 400`, a number, with vLLM's exception types) and TEI's (`{"message","code","type"}`, no
 * `error` object), which no Azure client reads as Azure's.
 */
export function azureRefusal(status: number, message: string, param: string | null = null): string {
  return azureErrorJson(AZURE_CODES.get(status) ?? String(status), message, param);
}
