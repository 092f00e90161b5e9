/**
 * "Every target and fallback is tried at least once" (resilience.attempts): the quick retry a refused connection gets
 * on its own target took a try of the budget all the same. Two replicas that refuse connections (a node down) and a
 * healthy fallback, attempts 3 (the default): the first replica, its quick retry, the second — and a 502 with the
 * fallback never asked, for every request until the replicas were ejected.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { freePort } from '../helpers/ports.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
const [a, b] = [await freePort(), await freePort()];

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 1000 }
backends:
  a: { url: "http://127.0.0.1:${a}" }
  b: { url: "http://127.0.0.1:${b}" }
  up: { url: "{{up}}" }
models:
  m: { targets: [{ backend: a }, { backend: b }], fallbacks: [spare] }
  spare: { targets: [{ backend: up }] }
`,
  { up: up.url },
);

describe('two replicas refusing connections, a healthy fallback', () => {
  it('the fallback answers: the quick retries do not spend the try it is owed', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await rawPost(`${gw.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
      expect(r.status).toBe(200);
      expect(r.headers['x-aigw-backend']).toBe('up');
    }
    expect(up.seen).toHaveLength(4);
  });
});
