/**
 * A `seed` is the backend's to read, never the gateway's: OpenAI's API and vLLM take any 64-bit integer
 * (vLLM: `ge`/`le` of torch's int64), and a client drawing a random 64-bit seed sends one past 2^53. The gateway held
 * it to JavaScript's safe integers — 400 "seed: Too big: expected int to be <=9007199254740991" for a request both
 * answer — though it forwards the client's bytes unchanged. A seed that is no integer is still refused.
 */
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER));
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });

const post = (path: string, text: string) =>
  fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });

describe('a 64-bit seed', () => {
  for (const seed of ['9007199254740993', '1234567890123456789', '-9223372036854775808', '9223372036854775807']) {
    it(`${seed} reaches the backend as the client wrote it`, async () => {
      for (const [path, rest] of [
        ['/v1/chat/completions', '"messages":[{"role":"user","content":"hi"}]'],
        ['/v1/completions', '"prompt":"hi"'],
      ] as const) {
        const seen = up.seen.length;
        const r = await post(path, `{"model":"m","seed":${seed},${rest}}`);
        expect(r.status, `${path}: ${await r.text()}`).toBe(200);
        expect(up.seen[seen]?.body).toContain(`"seed":${seed},`);
      }
    });
  }

  it('a seed that is no integer is still refused', async () => {
    for (const seed of ['1.5', '"7"', '1e400']) {
      const r = await post('/v1/chat/completions', `{"model":"m","seed":${seed},"messages":[{"role":"user","content":"hi"}]}`);
      expect(r.status, seed).toBe(400);
    }
  });
});
