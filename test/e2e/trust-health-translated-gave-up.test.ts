/**
 * OpenAI backend → Anthropic client, a stream the backend gives up on mid-answer: vLLM ends it with finish_reason
 * `abort` or `error` (its engine dropped or failed the request). The translation ends the client's stream with an error
 * frame, as it must (Anthropic has no stop reason for it), but the attempt was judged as the translation's refusal, not
 * the backend's failure: a backend whose every translated stream was cut so was never ejected — the same answer not
 * streamed is a bad response, counted, and a server fault said in an error event is counted (trust 42). It counts now.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (delta: object, finish: string | null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'llama', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const sse = (res: ServerResponse, body: string): void => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end(body);
};
/** A first word, then the backend gives up with `finish`. */
const givingUp = (finish: string) =>
  useUpstream((_req, res) => sse(res, `${chunk({ role: 'assistant', content: 'Hello' }, null)}${chunk({}, finish)}data: [DONE]\n\n`));
const aborting = await givingUp('abort');
const failing = await givingUp('error');

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 2, cooldown: 60s }
backends:
  aborting: { url: "{{aborting}}" }
  failing: { url: "{{failing}}" }
models:
  aborting: { targets: [{ backend: aborting }] }
  failing: { targets: [{ backend: failing }] }
`,
  { aborting: aborting.url, failing: failing.url },
);

const ask = (model: string) =>
  rawPost(
    `${gw.url}/v1/messages`,
    { model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], stream: true },
    { headers: { 'anthropic-version': '2023-06-01' } },
  );
const ejected = () =>
  gw
    .eventsOf('ejection')
    .filter((e) => e.ejected)
    .map((e) => e.backend);

describe('a translated stream the backend gives up on mid-answer', () => {
  it.each(['aborting', 'failing'])('%s: the client is told, and the backend is ejected after consecutiveFailures of them', async (name) => {
    for (let i = 0; i < 2; i++) {
      const r = await ask(name);
      expect(r.status).toBe(200);
      const text = r.body.toString();
      expect(text).toContain('"text":"Hello"');
      expect(text).toContain('gave up on its answer');
      expect(text).not.toContain('event: message_stop');
    }
    await eventually(() => ejected().includes(name), 2_000);
  });
});
