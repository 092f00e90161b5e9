/**
 * An answer with neither a content-length nor chunks ends where its connection closes (RFC 9112 §6.3): an HTTP/1.0
 * server's, or one that says `connection: close` and writes as it goes. The close is then its only end, and a backend
 * that dies mid-answer (its kernel closes the socket with a FIN), or an on-path peer that cuts a TLS connection without
 * its close_notify (RFC 9112 §9.8), ends it exactly as a whole one ends. Every endpoint aigw serves answers a JSON value:
 * one whose text stops inside it was cut, and reached the client as a whole 200 — `{"id":"x","object":"chat.com` with a
 * clean end (passthrough), or with a content-length saying it was all (buffered).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { OK_CHAT_ANSWER, useRawUpstream } from '../helpers/upstream.js';

const HEADS: Record<string, string> = {
  close: 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n',
  'http/1.0': 'HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n',
  // Labelled with the coding that is none (some servers write it; empty too): the body is as plain as unlabelled — the
  // check was skipped for any content-encoding, and such a cut reached the client as a whole 200 (attacker review).
  identity: 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: Identity\r\nconnection: close\r\n\r\n',
  'empty-coding': 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: \r\nconnection: close\r\n\r\n',
};
const CUT = OK_CHAT_ANSWER.slice(0, Math.floor(OK_CHAT_ANSWER.length / 2));

const up = await useRawUpstream((socket, request) => {
  const [, head, how] = /"content":"([a-z/.0-9-]+) (cut|whole)"/.exec(request) ?? [];
  socket.write(HEADS[head!]!);
  // The body in two writes, then the close: the first half alone when cut.
  socket.write(CUT);
  setTimeout(() => socket.end(how === 'whole' ? OK_CHAT_ANSWER.slice(CUT.length) : ''), 20);
});

const profile = (mode: string) => `
version: 1
limits: { responseBuffer: { mode: ${mode} } }
backends:
  b: { url: "{{up}}" }
models:
  m: { targets: [{ backend: b }] }
`;
const passthrough = await useGateway(profile('passthrough'), { up: up.url });
const buffered = await useGateway(profile('buffered'), { up: up.url });

const post = (url: string, content: string) =>
  rawPost(`${url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], max_tokens: 2 });

describe.each(Object.keys(HEADS))('an answer framed by the close (%s)', (head) => {
  it('cut inside its JSON: passed through, the client sees the cut, not a clean end', async () => {
    const r = await post(passthrough.url, `${head} cut`);
    expect(r.body.toString()).toBe(CUT);
    expect(r.ended).toBe('aborted');
  });

  it('cut inside its JSON: buffered, a 502 bad_upstream_response, none of it', async () => {
    const r = await post(buffered.url, `${head} cut`);
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body.toString()).error.code).toBe('bad_upstream_response');
  });

  it('whole: relayed whole, either way', async () => {
    for (const gw of [passthrough, buffered]) {
      const r = await post(gw.url, `${head} whole`);
      expect([r.status, r.ended, r.body.toString()]).toEqual([200, 'complete', OK_CHAT_ANSWER]);
    }
  });
});
