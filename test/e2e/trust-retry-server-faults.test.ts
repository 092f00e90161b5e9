/**
 * Going round the plan again — back to a target already tried — is for overload answers (429, 503, 529: the backend
 * is well, only busy), as the attempt policy says; a timeout would just repeat. Every 5xx went round: a proxy's 504
 * in front of a backend (nginx's proxy_read_timeout, 60 s by default, outlasted by a long non-streamed generation)
 * had the same backend generate the same answer twice more — three times the work and the wait, for one request — and a
 * 500 (a request that crashes the backend's handler) was sent to it three times.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const answering = (status: number, message: string) =>
  useUpstream((_req, res) => {
    setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } })), 50);
  });
const proxy = await answering(504, 'upstream timed out');
const crashing = await answering(500, 'internal error');
const busy = await answering(503, 'overloaded');

const gw = await useGateway(
  `
version: 1
resilience: { attempts: 3, consecutiveFailures: 1000 }
backends:
  proxy: { url: "{{proxy}}" }
  crashing: { url: "{{crashing}}" }
  busy: { url: "{{busy}}" }
models:
  behind-proxy: { targets: [{ backend: proxy }] }
  crashes: { targets: [{ backend: crashing }] }
  overloaded: { targets: [{ backend: busy }] }
`,
  { proxy: proxy.url, crashing: crashing.url, busy: busy.url },
);

const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });

describe('a server fault that is not overload', () => {
  it.each([
    ["a proxy's 504", 'behind-proxy', proxy],
    ['a 500', 'crashes', crashing],
  ])('%s is not sent to the same backend again', async (_name, model, upstream) => {
    const r = await ask(model);
    expect(r.status).toBe(502);
    expect(upstream.seen).toHaveLength(1);
  });

  it('a 503 still goes round the plan again, within the attempt budget', async () => {
    const r = await ask('overloaded');
    expect(r.status).toBe(502);
    expect(busy.seen).toHaveLength(3);
  });
});
