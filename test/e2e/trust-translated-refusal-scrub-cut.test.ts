/**
 * A backend's tool name quoted in a refusal is cut to 64 characters (trust-translated-refusal-quote.test.ts) — and it
 * was cut before configured secrets were scrubbed from the message: a name that held the backend's own key across the
 * 64th character (a backend that echoes its request's headers) was no longer whole for the scrub, and the key's first
 * characters reached the client in the 502. The name is scrubbed first now, then cut.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { sendToolCallAnswer, useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-straddle-7Qx2';
const PAD = 'n'.repeat(60);

const upstream = await useUpstream((req, res) => {
  const key = String(req.headers.authorization).replace(/^Bearer /, '');
  sendToolCallAnswer(res, `${PAD}${key}`, '[1]');
});

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{oa}}", apiKey: "${SECRET}" }
models:
  m: { targets: [{ backend: oa }] }
`,
  { oa: upstream.url },
);

describe("a backend's key across the cut of a tool name quoted in a refusal", () => {
  it('does not reach the client, not even its first characters', async () => {
    const r = await rawPost(
      `${gw.url}/v1/messages`,
      { model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'call f' }] },
      { headers: { 'anthropic-version': '2023-06-01' } },
    );
    expect(r.status).toBe(502);
    const text = r.body.toString();
    expect(text).toContain('not a JSON object');
    expect(text).not.toContain(`${PAD}${SECRET.slice(0, 4)}`);
    expect(text).toContain(`${PAD}[red`);
  });
});
