/**
 * A 2xx whose body is no JSON — a web app's page for any path (a single-page app's fallback at a backend URL that
 * points at its UI, not its API), a proxy's or a captive portal's login page — is no answer of the API aigw serves,
 * every one of whose answers is a JSON object. Passed on, the client's SDK failed to parse a 200 (openai-node: a
 * SyntaxError) for every request that picked such a replica, while its peer was well, and its health counted a success
 * for each, so it was never ejected. Now a bad response before any byte: another target answers.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { beforeEach, describe, expect, it } from 'vitest';
import type { TestGateway } from '../helpers/gateway.js';
import { chat, ejected, useReplicaPair } from '../helpers/replica-pair.js';

const page = '<!doctype html><html><head><title>Open WebUI</title></head><body><div id="app"></div></body></html>';
/**
 * The page as sent: plain, or compressed as nginx's `gzip on` (or a CDN) sends it, asked for identity or not — the
 * compressed one went another way (read back for an error object only) and reached the client as a 200.
 */
const CODINGS = [
  ['plain', undefined, (b: Buffer) => b],
  ['gzip', 'gzip', gzipSync],
  ['br', 'br', brotliCompressSync],
  ['deflate', 'deflate', deflateSync],
] as const;
const pair = await useReplicaPair(() => {});

describe.each(CODINGS)('a page sent %s', (_name, coding, encode) => {
  let gw: TestGateway;
  beforeEach(async () => {
    pair.answers((_req, res) => {
      const body = encode(Buffer.from(page));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(coding ? { 'content-encoding': coding } : {}) }).end(body);
    });
    gw = await pair.gateway();
  });

  it("a replica answering pages fails over to its peer: every client gets the peer's JSON answer, the replica is ejected", async () => {
    const answers = [];
    for (let i = 0; i < 10; i++) answers.push(await chat(gw));
    // Before: 5 of 10 were the page, as a 200.
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    for (const a of answers) expect(JSON.parse(a.body).object).toBe('chat.completion');
    expect(ejected(gw)).toEqual(['bad']);
  });

  it('a model whose only target answers a page is a 502 bad_upstream_response, the page not repeated', async () => {
    const r = await chat(gw, 'only-bad');
    expect(r.status).toBe(502);
    expect(r.type).toContain('application/json');
    const error = JSON.parse(r.body).error;
    expect(error.code).toBe('bad_upstream_response');
    expect(r.body).not.toContain('<html');
  });
});
