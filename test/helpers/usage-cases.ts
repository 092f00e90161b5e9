/**
 * The tests of what a backend's usage figures are charged: a scripted backend answering each case by the `case:N` its
 * prompt carries, behind a gateway with an OpenAI backend `oa` (model `gpt`) and an Anthropic one `an` (model
 * `claude`), both at $1 per million tokens, and one tenant holding `key`.
 */
import { type TestGateway, useGateway } from './gateway.js';
import { type RawResponse, rawPost } from './raw.js';
import { useUpstream } from './upstream.js';

/** An OpenAI chat answer, whole, with `content` and the usage given. */
export const chatBody = (content: string, usage: object): string =>
  JSON.stringify({
    id: 'c',
    object: 'chat.completion',
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage,
  });

/** An OpenAI chat stream of `ok ok ok`, its usage in a chunk of its own before [DONE]. */
export const chatStream = (usage: object): string =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: 'ok ok ok' }, finish_reason: null }] })}\n\n` +
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n` +
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'm', choices: [], usage })}\n\n` +
  'data: [DONE]\n\n';

export interface UsageCase {
  stream: boolean;
  /** What the backend answers, whole. */
  answer: string;
}

export interface UsageCases {
  gw: TestGateway;
  /** Asks through the gateway in the API named, as the tenant, with `x-request-id: id`. */
  ask(api: 'openai' | 'anthropic', body: Record<string, unknown>, id: string): Promise<RawResponse>;
}

export async function useUsageCases(key: string, cases: readonly UsageCase[]): Promise<UsageCases> {
  const up = await useUpstream((_req, res, body) => {
    const c = cases[Number(/case:(\d+)/.exec(body)?.[1])]!;
    res.writeHead(200, { 'content-type': c.stream ? 'text/event-stream' : 'application/json' });
    res.end(c.answer);
  });
  const gw = await useGateway(
    `
version: 1
backends:
  oa: { url: "{{u}}" }
  an: { url: "{{u}}", kind: anthropic, apiKey: sk-ant-backend }
models:
  gpt: { targets: [{ backend: oa, pricing: { input: 1, output: 1 } }] }
  claude: { targets: [{ backend: an, pricing: { input: 1, output: 1 } }] }
tenants:
  t: { keys: ["${key}"], limits: { tpm: 100000000 } }
`,
    { u: up.url },
  );
  return {
    gw,
    ask: (api, body, id) =>
      api === 'openai'
        ? rawPost(`${gw.url}/v1/chat/completions`, body, { headers: { authorization: `Bearer ${key}`, 'x-request-id': id } })
        : rawPost(`${gw.url}/v1/messages`, body, {
            headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'x-request-id': id },
          }),
  };
}
