/**
 * A non-streamed answer translated for a client of the other API (an OpenAI client, an Anthropic backend), written
 * with a UTF-8 byte-order mark before its JSON (a server writing UTF-8 with a signature): the translation handed the
 * body to JSON.parse mark and all, which reads none — "the backend answered with a body that is not JSON", a 502 tried
 * on every target and counted as the backend's failure — where the same body passed through reaches the client's SDK,
 * whose response.json() drops the mark, as the answer it is.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const up = await useUpstream((_req, res, body) => {
  const bom = body.includes('with-bom') ? '\uFEFF' : '';
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(bom + anthropicTextMessage('Hello there', { input_tokens: 7, output_tokens: 3 }));
});

const gw = await useGateway(
  `
version: 1
backends:
  an: { url: "{{up}}", kind: anthropic }
models:
  claude: { targets: [{ backend: an }] }
`,
  { up: up.url },
);

describe('a translated answer after a byte-order mark', () => {
  it.each(['no-bom', 'with-bom'])('%s: translated, 200, its text and usage', async (how) => {
    const r = await rawPost(`${gw.url}/v1/chat/completions`, {
      model: 'claude',
      messages: [{ role: 'user', content: how }],
      max_tokens: 5,
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toMatchObject({
      choices: [{ message: { content: 'Hello there' } }],
      usage: { prompt_tokens: 7, completion_tokens: 3 },
    });
  });
});
