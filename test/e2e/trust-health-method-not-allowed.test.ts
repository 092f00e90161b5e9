/**
 * A replica whose URL points at something that takes no POST there — a web app's static pages behind nginx ("405 Not
 * Allowed" for a POST to any of them), a FastAPI or Starlette app whose catch-all route takes GET alone (`{"detail":
 * "Method Not Allowed"}`) — is misconfigured as one answering 404 for its path is (trust 191): the method and the path
 * are the gateway's choice, never the client's (attacker review). Its 405 was passed on as the request's: every request
 * that picked it got a 405 while its peer served the model (5 of 10 on a 1:1 split), and it was never ejected.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const SHAPES: readonly (readonly [string, string, string])[] = [
  [
    'nginx',
    'text/html',
    '<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n</body>\r\n</html>\r\n',
  ],
  ['Starlette', 'application/json', '{"detail":"Method Not Allowed"}'],
];

let shape: readonly [string, string] = ['text/plain', ''];
let badHits = 0;
const bad = await useUpstream((_req, res) => {
  badHits++;
  res.writeHead(405, { 'content-type': shape[0], allow: 'GET, HEAD' }).end(shape[1]);
});
const good = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
});

const profile = `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
backends:
  bad: { url: "{{b}}" }
  good: { url: "{{g}}" }
models:
  m: { targets: [{ backend: bad }, { backend: good }] }
`;

describe.each(SHAPES)('a replica answering 405 to a POST (%s)', (_name, type, body) => {
  it('fails over to its peer, and is ejected', async () => {
    shape = [type, body];
    badHits = 0;
    const gw = await useGateway(profile, { b: bad.url, g: good.url });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
      });
      await r.arrayBuffer();
      statuses.push(r.status);
    }
    // Before: 5 of 10 were the replica's 405.
    expect(statuses).toEqual(Array(10).fill(200));
    expect(
      gw
        .eventsOf('ejection')
        .filter((e) => e.ejected)
        .map((e) => e.backend),
    ).toEqual(['bad']);
    expect(badHits).toBe(3);
  });
});
