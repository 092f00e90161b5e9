/**
 * Plain 2xx bodies sent a byte a chunk (one socket write), under every buffer policy and framing: an error object
 * (a mark, whitespace, an escaped name) is a 502 with the key scrubbed; an answer arrives whole, its length true,
 * nothing lost, doubled or sent twice. From an attacker review.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useRawUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-bytewise-secret-31337';
const ERR = Buffer.from(`\uFEFF \r\n{ "\\u0065rror" \t: "auth failed for Bearer ${SECRET}"}`);
const ANS = Buffer.from('\uFEFF\t\n{ "object" : "chat.completion", "id":"x","choices":[]}');

const up = await useRawUpstream((socket, reqText) => {
  const body = reqText.includes('answer') ? ANS : ERR;
  const cl = reqText.includes('length');
  socket.write(
    Buffer.concat([
      Buffer.from(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n${cl ? `content-length: ${body.length}` : 'transfer-encoding: chunked'}\r\n\r\n`,
      ),
      ...(cl ? [body] : [...body].map((b) => Buffer.concat([Buffer.from('1\r\n'), Buffer.from([b]), Buffer.from('\r\n')]))),
      Buffer.from(cl ? '' : '0\r\n\r\n'),
    ]),
  );
});

const get = async (url: string, content: string) => {
  const r = await rawPost(`${url}/v1/chat/completions`, { model: 'zm', messages: [{ role: 'user', content }] });
  return { status: r.status, raw: r.body };
};

for (const buffer of [
  '{ mode: passthrough }',
  '{ mode: buffered, maxBytes: 1000000, onOverflow: error }',
  '{ mode: buffered, maxBytes: 1000000, onOverflow: truncate }',
  '{ mode: buffered, maxBytes: 1000000, onOverflow: envoy }',
]) {
  describe(buffer, async () => {
    const gw = await gatewayFor(`
version: 1
limits: { responseBuffer: ${buffer} }
backends:
  z: { url: "${up.url}", apiKey: "${SECRET}" }
models:
  zm: { targets: [{ backend: z }] }
`);
    for (const framing of ['chunked', 'length']) {
      it(`${framing}: error 502, answer whole`, async () => {
        const e = await get(gw.url, `error ${framing}`);
        expect(e.status).toBe(502);
        expect(e.raw.toString().includes(SECRET)).toBe(false);
        const a = await get(gw.url, `answer ${framing}`);
        expect(a.status).toBe(200);
        expect(a.raw.toString('latin1')).toBe(ANS.toString('latin1').replace(/[\t\n]/g, ' '));
      });
    }
    it('close', () => gw.close());
  });
}
