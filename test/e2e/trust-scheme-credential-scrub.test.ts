/**
 * A backend credential written in the profile with its scheme — `headers: { authorization: "Bearer sk-…" }`, as a
 * backend without `apiKey` is given its key — was known to the scrubber as the whole value only: a backend that
 * echoes the token it was sent (OpenAI's 401 names the key it refused; a debug header) gave it to every client in the
 * 502 message, the 4xx message passed on, and a response header, since none of them holds the word `Bearer` before it.
 * Only a credential header's token: the words of another header's value (`x-title`) stay in the messages.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const TOKEN = 'sk-literal-CANARY-4d2e91';

/** Echoes the token of the Authorization header it was sent, in the status the path asks for. */
const up = await useUpstream((req, res) => {
  const token = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
  const status = Number(req.url?.split('/')[1]);
  req.resume();
  res.writeHead(status, { 'content-type': 'application/json', 'x-echo-key': token });
  if (status !== 200)
    return res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${token}.`, type: 'invalid_request_error' } }));
  res.end(
    JSON.stringify({
      id: 'c',
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Incorrect API key provided? no' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  b401: { url: "{{u}}/401", headers: { authorization: "Bearer ${TOKEN}" } }
  b400: { url: "{{u}}/400", headers: { authorization: "Bearer ${TOKEN}", x-title: "aigw provided" } }
  b500: { url: "{{u}}/500", headers: { authorization: "Bearer ${TOKEN}" } }
  b200: { url: "{{u}}/200", headers: { authorization: "Bearer ${TOKEN}" } }
models:
  m401: { targets: [{ backend: b401 }] }
  m400: { targets: [{ backend: b400 }] }
  m500: { targets: [{ backend: b500 }] }
  m200: { targets: [{ backend: b200 }] }
`,
  { u: up.url },
);

describe('a backend credential written with its scheme', () => {
  it.each(['m401', 'm400', 'm500', 'm200'])('is never given back by a backend that echoes its token (%s)', async (model) => {
    const r = await rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }] });
    const seen = `${JSON.stringify(r.headers)}\n${r.body.toString()}\n${JSON.stringify(gw.events)}`;
    expect(seen).toContain('Incorrect API key provided');
    expect(seen).not.toContain(TOKEN);
  });
});
