/**
 * A backend's error answer written with a UTF-8 byte-order mark before its JSON (a server writing UTF-8 with a
 * signature, .NET's UTF8Encoding(true)): JSON.parse reads no mark, so the body was read as no JSON at all — a 404 saying
 * the replica does not serve the model was the request's 404 (passed to the client while its peer served the model,
 * trust 229's reading of `model … does not exist` lost), and a 400's message, param and code were replaced by "backend
 * … answered HTTP 400". Read past the mark, as the SDKs' readers (fetch's response.json()) read it.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';
import { rawPost } from '../helpers/raw.js';

const BOM = '\uFEFF';
const up = await useUpstream((req, res, body) => {
  const replica = req.url?.startsWith('/a/') ? 'a' : 'b';
  const bom = body.includes('no-bom') ? '' : BOM;
  if (body.includes('missing-model') && replica === 'a') {
    return res
      .writeHead(404, { 'content-type': 'application/json' })
      .end(`${bom}{"object":"error","message":"The model \`m\` does not exist.","type":"NotFoundError","param":null,"code":404}`);
  }
  if (body.includes('bad-param')) {
    return res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(
        `${bom}{"error":{"message":"temperature must be at most 2","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}`,
      );
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
});

const gw = await useGateway(
  `
version: 1
backends:
  a: { url: "{{up}}/a" }
  b: { url: "{{up}}/b" }
models:
  n: { targets: [{ backend: a }, { backend: b }] }
`,
  { up: up.url },
);

const post = (model: string, content: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content }], max_tokens: 5 });

describe('an error answer after a byte-order mark', () => {
  it.each(['no-bom', 'bom'])('%s: a replica that does not serve the model fails over to its peer', async (how) => {
    for (let i = 0; i < 2; i++) {
      const r = await post('n', `missing-model ${how} ${i}`);
      expect(r.status).toBe(200);
    }
  });

  it.each(['no-bom', 'bom'])("%s: a client's 400 keeps the backend's message, param and code", async (how) => {
    const r = await post('n', `bad-param ${how}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body.toString())).toMatchObject({
      error: { message: 'temperature must be at most 2', param: 'temperature', code: 'invalid_value' },
    });
  });
});
