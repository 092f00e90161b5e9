/** What Node refuses is answered in the client's API's shape, whatever bytes the refused request held. */
import { Socket } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientErrorResponse, noteClientApi } from '../../../src/gateway/client-error.js';

const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
const err = (code: string, rawPacket?: unknown) => Object.assign(new Error(code), { code, rawPacket });

describe('clientErrorResponse', () => {
  it("answers /v1/messages in Anthropic's shape and any other path in OpenAI's", () => {
    const s = new Socket();
    const anthropic = clientErrorResponse(err('HPE_HEADER_OVERFLOW', Buffer.from('POST /v1/messages?beta=1 HTTP/1.1\r\n')), s);
    expect(anthropic).toMatch(/^HTTP\/1\.1 431 /);
    expect(bodyOf(anthropic)).toMatchObject({ type: 'error', error: { type: expect.any(String) } });
    const openai = clientErrorResponse(err('HPE_HEADER_OVERFLOW', Buffer.from('POST /v1/chat/completions HTTP/1.1\r\n')), s);
    expect(bodyOf(openai)).toMatchObject({ error: { code: 'request_too_large' } });
  });

  it("takes the connection's note only when the request line cannot tell, and a cleared note is OpenAI's", () => {
    const s = new Socket();
    noteClientApi(s, 'anthropic');
    expect(bodyOf(clientErrorResponse(err('ERR_HTTP_REQUEST_TIMEOUT'), s))).toMatchObject({ type: 'error' });
    expect(bodyOf(clientErrorResponse(err('HPE_INVALID', Buffer.from('POST /v1/embeddings HTTP/1.1')), s))).toHaveProperty('error.code');
    noteClientApi(s, undefined);
    expect(bodyOf(clientErrorResponse(err('ERR_HTTP_REQUEST_TIMEOUT'), s))).toMatchObject({ error: { code: 'request_timeout' } });
  });

  it('never throws and always answers a whole response, whatever the refused bytes hold', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc.string(),
          fc.constant(undefined),
        ),
        (raw) => {
          const text = clientErrorResponse(err('HPE_INVALID_METHOD', raw), new Socket());
          expect(text).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
          expect(bodyOf(text)).toBeTypeOf('object');
        },
      ),
    );
  });
});
