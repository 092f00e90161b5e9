/**
 * A 404 or 405 for the path fails over (trust 191, 215), but the path is the backend's URL and the endpoint — and the
 * client picks the endpoint. vLLM serving a generative model has no /v1/embeddings (FastAPI's {"detail":"Not Found"}):
 * counted toward ejection, six embeddings requests for a chat model ejected every replica for the chats they serve, for
 * the cooldown — on replicas of one model (trust 191) and, since trust 213, of several (final diff review). Such an
 * answer now fails over and counts for nothing, as a model one replica lacks does.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { ejected, statusesOf } from '../helpers/replica-pair.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const replica = () =>
  useUpstream((req, res) => {
    if (req.url?.endsWith('/embeddings'))
      return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
  });
const [a, b] = [await replica(), await replica()];

const embed = async (url: string, model: string) => {
  const r = await fetch(`${url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, input: 'x' }),
  });
  await r.text();
  return r.status;
};

describe("a client's requests to an endpoint the replicas lack", () => {
  it.each([
    [
      'two models each',
      'm: { targets: [{ backend: a, model: up-m }, { backend: b, model: up-m }] }\n  n: { targets: [{ backend: a, model: up-n }, { backend: b, model: up-n }] }',
    ],
    ['one model each', 'm: { targets: [{ backend: a }, { backend: b }] }'],
  ])('eject no replica for the chats it serves (replicas of %s)', async (_what, models) => {
    const gw = await useGateway(
      `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
backends:
  a: { url: "{{a}}" }
  b: { url: "{{b}}" }
models:
  ${models}
`,
      { a: a.url, b: b.url },
    );
    for (let i = 0; i < 6; i++) expect(await embed(gw.url, 'm')).toBe(404);
    // Before: ['a', 'b'] — both out for 60 s.
    expect(ejected(gw)).toEqual([]);
    expect(await statusesOf(gw, 4)).toEqual(Array(4).fill(200));
  });
});
