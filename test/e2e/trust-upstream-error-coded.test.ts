/**
 * A 2xx error object echoing the backend key, compressed in ways a client decodes (httpx and urllib3 keep a gzip
 * member and drop what trails it; raw deflate as IIS sends it; coding lists) but a strict read-back did not: each was
 * read as plain, taken for an answer and passed whole (an attacker review's finding). Now the longest start that
 * decodes is read, deflate also raw, and a coding the gateway cannot read back is refused (502).
 */
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { rawPost } from '../helpers/raw.js';
import { keyedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const SECRET = 'sk-backend-secret-coded-4242';

const errorFor = (auth: string | undefined) => Buffer.from(JSON.stringify({ error: { message: `auth failed for ${auth}` } }));

const backend = await useUpstream((req, res, body) => {
  const err = errorFor(req.headers.authorization);
  const json = { 'content-type': 'application/json' };
  let bytes: Buffer;
  let coding: string;
  if (body.includes('gzip-trailing-garbage')) {
    // One gzip member, then bytes that are not a member: Node's gunzip throws (it tries a second member); httpx's
    // and urllib3's gzip decoders return the first member and drop what follows (zlib's unused_data).
    bytes = Buffer.concat([zlib.gzipSync(err), Buffer.from('\r\n\r\n')]);
    coding = 'gzip';
  } else if (body.includes('raw-deflate')) {
    // `deflate` as IIS and others send it (no zlib wrapper): httpx, undici fetch, curl and browsers fall back to raw.
    bytes = zlib.deflateRawSync(err);
    coding = 'deflate';
  } else if (body.includes('gzip-gzip')) {
    bytes = zlib.gzipSync(zlib.gzipSync(err));
    coding = 'gzip, gzip';
  } else if (body.includes('trailing-comma')) {
    // httpx (openai-python) skips codings it does not know and decodes gzip; readableCoding('gzip,') is undefined.
    bytes = zlib.gzipSync(err);
    coding = 'gzip,';
  } else if (body.includes('gzip-bad-crc')) {
    // The start decodes to the whole object, the trailer's CRC is wrong: gunzipSync throws the good start away.
    bytes = zlib.gzipSync(err);
    bytes[bytes.length - 8] = bytes[bytes.length - 8]! ^ 1;
    coding = 'gzip';
  } else if (body.includes('identity-gzip')) {
    bytes = zlib.gzipSync(err);
    coding = 'identity, gzip';
  } else {
    bytes = zlib.gzipSync(err);
    coding = 'gzip';
  }
  res.writeHead(200, { ...json, 'content-encoding': coding, 'content-length': String(bytes.length) }).end(bytes);
});

const gw = await useGateway(keyedBackendProfile(SECRET), { z: backend.url });

/** Every reading a lenient client could make of the bytes. */
function readings(raw: Buffer): string {
  const out: string[] = [raw.toString('latin1')];
  const tryIt = (f: () => Buffer) => {
    try {
      out.push(f().toString('latin1'));
    } catch {
      /* not that */
    }
  };
  // A gzip decoder that stops at the first member's end (as Python's zlib.decompressobj(16+MAX_WBITS) does).
  tryIt(() => zlib.gunzipSync(raw, { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  for (let cut = raw.length; cut > 10; cut--) {
    try {
      out.push(zlib.gunzipSync(raw.subarray(0, cut)).toString('latin1'));
      break;
    } catch {
      /* shorter */
    }
  }
  tryIt(() => zlib.inflateRawSync(raw));
  // A streaming decoder's output before the trailer is checked.
  tryIt(() => zlib.gunzipSync(raw.subarray(0, raw.length - 8), { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
  tryIt(() => zlib.gunzipSync(zlib.gunzipSync(raw)));
  return out.join('\n');
}

const ask = async (content: string) => {
  const r = await rawPost(`${gw.url}/v1/chat/completions`, { model: 'zm', messages: [{ role: 'user', content }] });
  return { status: r.status, raw: r.body, encoding: r.headers['content-encoding'] as string | undefined };
};

describe('a 2xx error object compressed so that encoded-peek cannot read it back', () => {
  it('control: plain gzip is a 502, scrubbed', async () => {
    const r = await ask('control');
    expect(r.status).toBe(502);
    expect(readings(r.raw).includes(SECRET)).toBe(false);
  });

  for (const c of ['gzip-trailing-garbage', 'raw-deflate', 'gzip-gzip', 'identity-gzip', 'trailing-comma', 'gzip-bad-crc']) {
    it(`${c}: not passed through with the key`, async () => {
      const r = await ask(c);
      const text = readings(r.raw);
      expect({ status: r.status, leaked: text.includes(SECRET) }).toEqual({ status: 502, leaked: false });
    });
  }
});
