/**
 * A gateway whose model `chat` escalates prompts over 3,000 tokens (escalate's own size estimate, README) from its
 * 600-token backend `cheap` to `chat-large` on `big`, and which backend served a request: for the tests of what
 * counts toward a prompt's size.
 */
import { type TestGateway, useGateway } from './gateway.js';

/** `kind`: the backends' API (their mocks speak it too). */
export function useEscalatingGateway(kind: 'vllm' | 'anthropic'): Promise<TestGateway> {
  const api = kind === 'anthropic' ? (key: string) => `kind: anthropic, apiKey: sk-ant-${key}, mock: { kind: anthropic }` : () => '';
  const mock = (model: string) => (kind === 'anthropic' ? '' : `mock: { kind: vllm, models: [${model}] }`);
  return useGateway(`
version: 1
backends:
  cheap: { url: http://127.0.0.1:0, ${[api('cheap'), mock('small')].filter(Boolean).join(', ')} }
  big: { url: http://127.0.0.1:0, ${[api('big'), mock('large')].filter(Boolean).join(', ')} }
models:
  chat:
    strategy: cost
    targets: [{ backend: cheap, model: small, contextWindow: 600, pricing: { input: 0.1, output: 0.2 } }]
    escalate: [{ when: { promptTokens: ">3000" }, model: chat-large }]
  chat-large:
    targets: [{ backend: big, model: large, pricing: { input: 5, output: 25 } }]
`);
}

let n = 0;
/** The backend a request to `path` was sent to, as its event names it (whatever the mock made of the request). */
export async function servedBy(gw: TestGateway, path: string, body: unknown): Promise<string | undefined> {
  const id = `escalation-${++n}`;
  const r = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-request-id': id },
    body: JSON.stringify(body),
  });
  await r.arrayBuffer();
  return (await gw.requestEvent(id)).backend;
}
