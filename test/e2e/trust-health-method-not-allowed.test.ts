/**
 * A replica whose URL points at something that takes no POST there — a web app's static pages behind nginx ("405 Not
 * Allowed" for a POST to any of them), a FastAPI or Starlette app whose catch-all route takes GET alone (`{"detail":
 * "Method Not Allowed"}`) — is misconfigured as one answering 404 for its path is (trust 191): the method and the path
 * are the gateway's (attacker review). Its 405 was passed on as the request's: every request that picked it got a 405
 * while its peer served the model (5 of 10 on a 1:1 split). It fails over now (not counted toward ejection: the
 * endpoint is the client's choice, trust-health-endpoint-lacked).
 */
import { describe, expect, it } from 'vitest';
import { ejected, statusesOf, useReplicaPair } from '../helpers/replica-pair.js';

const SHAPES: readonly (readonly [string, string, string])[] = [
  [
    'nginx',
    'text/html',
    '<html>\r\n<head><title>405 Not Allowed</title></head>\r\n<body>\r\n<center><h1>405 Not Allowed</h1></center>\r\n</body>\r\n</html>\r\n',
  ],
  ['Starlette', 'application/json', '{"detail":"Method Not Allowed"}'],
];

const pair = await useReplicaPair((_req, res) => res.writeHead(405).end());

describe.each(SHAPES)('a replica answering 405 to a POST (%s)', (_name, type, body) => {
  it("fails over to its peer, and is not ejected for it (the endpoint is the client's choice: trust-health-endpoint-lacked)", async () => {
    pair.answers((_req, res) => res.writeHead(405, { 'content-type': type, allow: 'GET, HEAD' }).end(body));
    const gw = await pair.gateway();
    // Before trust 191: 5 of 10 were the replica's answer. 20 requests: the replica is picked first by one of them at
    // least (1:1 weights; none: a chance in a million), and each is answered by its peer.
    expect(await statusesOf(gw, 20)).toEqual(Array(20).fill(200));
    expect(pair.hits()).toBeGreaterThan(0);
    expect(ejected(gw)).toEqual([]);
  });
});
