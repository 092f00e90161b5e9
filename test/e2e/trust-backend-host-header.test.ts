/**
 * A backend's configured `host` header (a virtual host reached by its address, behind an ingress) is the Host the
 * backend sees. undici's Pool sent it in place of the URL's; the gateway's own pool (h1-pool.ts) sent both — two Host
 * lines, which RFC 9112 §3.2 has a server refuse with a 400 (uvicorn's h11 does, and nginx), and which a server that
 * takes the first read as the URL's host: every request to such a backend failed, or reached the wrong virtual host.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER as OK, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(OK));

const gw = await useGateway(
  `
version: 1
backends:
  vhost: { url: "{{up}}", headers: { Host: vllm.internal, x-extra: "1" } }
  plain: { url: "{{up}}" }
models:
  vhost: { targets: [{ backend: vhost }] }
  plain: { targets: [{ backend: plain }] }
`,
  { up: up.url },
);

/** The values of the Host lines of the last request the backend read. */
const hostValues = () => {
  const raw = up.seen.at(-1)!.rawHeaders;
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'host') out.push(raw[i + 1]!);
  return out;
};
const post = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

describe("a backend's configured host header", () => {
  it('is the one Host the backend sees', async () => {
    expect((await post('vhost')).status).toBe(200);
    expect(hostValues()).toEqual(['vllm.internal']);
    expect(up.seen.at(-1)!.headers['x-extra']).toBe('1');
  });

  it("without one, the URL's host and port", async () => {
    expect((await post('plain')).status).toBe(200);
    expect(hostValues()).toEqual([new URL(up.url).host]);
  });
});
