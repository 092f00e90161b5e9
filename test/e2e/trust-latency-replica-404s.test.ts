/**
 * Strategy `latency` and a replica that answers 404 for every path (its URL misses a prefix the others have: an
 * ingress that lost its route, `/openai` left out). Such a 404 counts toward no ejection (the client picks the path:
 * trust-health-path-not-served), and since trust-latency-path-missing it moved no estimate either: the replica kept its
 * place, and took the first attempt of every stream while its peer answered — each one a round trip to a 404 first.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content } }] })}\n\n`;

const lost = await useUpstream((_req, res: ServerResponse) => {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
});
const good = await useUpstream((_req, res: ServerResponse) => {
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${chunk('ok')}data: [DONE]\n\n`);
  }, 20);
});
const gw = await useGateway(
  `
version: 1
backends:
  lost: { url: "{{l}}" }
  good: { url: "{{g}}" }
models:
  m: { strategy: latency, targets: [{ backend: lost }, { backend: good }] }
`,
  { l: lost.url, g: good.url },
);

const stream = () =>
  rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', stream: true, max_tokens: 1, messages: [{ role: 'user', content: 'hi' }] });

describe('latency and a replica that 404s every path', () => {
  it('stops trying it first once its peer serves the path', async () => {
    for (let i = 0; i < 20; i++) expect((await stream()).status).toBe(200);
    expect(lost.seen.length).toBeLessThanOrEqual(3);
  }, 30_000);
});
