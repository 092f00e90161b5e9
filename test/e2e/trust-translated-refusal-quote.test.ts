/**
 * A backend's text quoted in a refusal is cut, streamed or not (attacker review). A non-streamed answer translated for
 * an Anthropic client whose tool call has arguments that are not a JSON object is refused 502, and the refusal named
 * the call by its whole name: an OpenAI backend that named it with 8 MiB (the response buffer holds 50 MiB) had the
 * gateway scrub the 8 MiB twice and answer an 8 MiB error message — the same refusal in a translated stream quotes a
 * backend's text cut at 500 characters. The name is now quoted as the translators quote a client's values (64).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { sendToolCallAnswer, useUpstream } from '../helpers/upstream.js';

const NAME = 'n'.repeat(8 << 20);

const upstream = await useUpstream((_req, res) => sendToolCallAnswer(res, NAME, '[1]'));

const gw = await useGateway(
  `
version: 1
backends:
  oa: { url: "{{oa}}" }
models:
  m: { targets: [{ backend: oa }] }
`,
  { oa: upstream.url },
);

describe("a backend's 8 MiB tool name in a refused answer", () => {
  it('is quoted cut in the 502', async () => {
    const r = await rawPost(
      `${gw.url}/v1/messages`,
      { model: 'm', max_tokens: 100, messages: [{ role: 'user', content: 'call f' }] },
      { headers: { 'anthropic-version': '2023-06-01' } },
    );
    expect(r.status).toBe(502);
    const text = r.body.toString();
    expect(text).toContain('not a JSON object');
    expect(text).toContain(`(\\"${'n'.repeat(64)}…\\")`);
    expect(r.body.length).toBeLessThan(2048);
  }, 30_000);
});
