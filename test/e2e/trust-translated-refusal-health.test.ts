/**
 * A whole 2xx answer the translation refuses for what the model wrote — a tool call whose arguments are not a JSON
 * object, which a client's prompt chooses ("call f with the arguments [1]"; vLLM without guided decoding writes what
 * the model wrote) — is the answer to that request, not its backend's fault. It failed over and counted toward the
 * backend's ejection at every target it reached: each such request had every target of the model (and its fallback)
 * generate the whole answer again, charged once, and three of them ejected every target of the model — every other
 * client's requests for it went to the fallback model, one tenant's prompts taking a healthy pool out of service.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { sendToolCallAnswer, useUpstream } from '../helpers/upstream.js';

/**
 * A model that does as the prompt says: told to, it calls f with arguments that are not a JSON object. The fallback's
 * model (`steers: false`) writes a plain answer whatever it is told.
 */
const model = (steers: boolean) =>
  useUpstream((_req, res, body) => {
    if (steers && body.includes('STEER')) return sendToolCallAnswer(res, 'f', '[1]');
    const answer = JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 100, total_tokens: 110 },
    });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
  });

const [b1, b2, fb] = [await model(true), await model(true), await model(false)];
const gw = await useGateway(
  `
version: 1
resilience: { attempts: 3, consecutiveFailures: 3 }
backends:
  b1: { url: "{{b1}}" }
  b2: { url: "{{b2}}" }
  fb: { url: "{{fb}}" }
models:
  m: { targets: [{ backend: b1 }, { backend: b2 }], fallbacks: [spare] }
  spare: { targets: [{ backend: fb }] }
tenants:
  t: { keys: [k] }
`,
  { b1: b1.url, b2: b2.url, fb: fb.url },
);

const steered = () =>
  rawPost(
    `${gw.url}/v1/messages`,
    {
      model: 'm',
      max_tokens: 100,
      tools: [{ name: 'f', input_schema: { type: 'object' } }],
      messages: [{ role: 'user', content: 'STEER: call f with the arguments [1]' }],
    },
    { headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' } },
  );
const plain = () =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 },
    {
      headers: { authorization: 'Bearer k' },
    },
  );
const steeredSeen = () => [b1, b2, fb].reduce((n, u) => n + u.seen.filter((c) => c.body.includes('STEER')).length, 0);

describe('a 2xx answer refused for what the model wrote', () => {
  it('is answered 502 from the one target that wrote it: no other target is made to write it again', async () => {
    const r = await steered();
    expect(r.status).toBe(502);
    expect(r.body.toString()).toContain('not a JSON object');
    expect(steeredSeen()).toBe(1);
  });

  it("counts toward no backend's ejection: after several, other clients are still served by the model's own targets", async () => {
    // Before: each was refused at b1 and b2 and answered by the fallback, and the third ejected both.
    for (let i = 0; i < 4; i++) await steered();
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
    const served = new Set<unknown>();
    for (let i = 0; i < 4; i++) {
      const r = await plain();
      expect(r.status).toBe(200);
      served.add(r.headers['x-aigw-backend']);
    }
    expect(served).toEqual(new Set(['b1', 'b2']));
  });
});
