/**
 * A 2xx whose content-encoding aigw cannot read back is refused with the coding quoted — cut to 40 characters
 * before the configured secrets were looked for in it: a backend (or a proxy before it) that reflects request
 * headers into its answer's content-encoding had the first 38 characters of the gateway's key told to the client,
 * the whole key being what the scrub looks for. The coding is scrubbed, then cut.
 */
import { describe, expect, it } from 'vitest';
import { keyedBackendProfile, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = `sk-backend-${'k'.repeat(20)}${'0123456789'.repeat(3)}`;

const up = await useUpstream((req, res) => {
  // Reflects the credential it was sent into the answer's coding.
  const sent = String(req.headers.authorization).replace(/^Bearer /, '');
  const stream = req.headers['x-stream'] === '1';
  res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json', 'content-encoding': `x-${sent}` });
  res.end('{}');
});

const gw = await useGateway(keyedBackendProfile(KEY), { z: up.url });

describe("an unreadable answer's coding", () => {
  it.each([
    ['a body', false],
    ['a stream', true],
  ])('%s: refused 502 without any part of the key', async (_name, stream) => {
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'zm', messages: [{ role: 'user', content: 'hi' }], stream },
      { headers: stream ? { 'x-stream': '1' } : {} },
    );
    const text = r.body.toString();
    expect(r.status, text).toBe(502);
    expect(text).toContain('encoded as');
    expect(text).not.toContain(KEY.slice(0, 12));
  });
});
