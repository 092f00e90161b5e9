/**
 * A replica that answers 404 for the path it was sent — its URL missing a base path or holding one too many, an
 * endpoint its server does not have (FastAPI's `{"detail":"Not Found"}` from vLLM's own router, nginx's page, Go's
 * `404 page not found`, Express's `Cannot POST`, OpenAI's `Invalid URL`) — answers no request of the model. Such a 404
 * was a refusal of the request, passed on and never failed over: every request that picked the replica got a 404 while
 * its peer served the model (5 of 10 on a 1:1 split), for good. It now fails over; it counts for nothing toward the
 * replica's ejection, since the endpoint is the client's choice (trust-health-endpoint-lacked). A 404 of the request's
 * own (a JSON error about something it named) is still passed on.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { chat, ejected, statusesOf, useReplicaPair } from '../helpers/replica-pair.js';
import { useUpstream } from '../helpers/upstream.js';

const PATH_404: readonly (readonly [string, string, string])[] = [
  ['FastAPI', 'application/json', '{"detail":"Not Found"}'],
  ['nginx', 'text/html', '<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center></body></html>'],
  ['Go', 'text/plain; charset=utf-8', '404 page not found\n'],
  ['Express', 'text/html; charset=utf-8', '<pre>Cannot POST /v2/chat/completions</pre>'],
  [
    'OpenAI',
    'application/json',
    '{"error":{"message":"Invalid URL (POST /v2/chat/completions)","type":"invalid_request_error","param":null,"code":null}}',
  ],
  // Azure OpenAI's for a path its resource has nothing at (a URL without /openai/deployments, an api-version it lacks),
  // as aigw's own Azure mock answers it: a missing deployment is its DeploymentNotFound (modelNotServed).
  ['Azure', 'application/json', '{"error":{"code":"404","message":"Resource not found"}}'],
];

const pair = await useReplicaPair((_req, res) => res.writeHead(404).end());

describe.each(PATH_404)('a replica answering 404 for its path (%s)', (_name, type, body) => {
  it("fails over to its peer, and is not ejected for it (the endpoint is the client's choice: trust-health-endpoint-lacked)", async () => {
    pair.answers((_req, res) => res.writeHead(404, { 'content-type': type }).end(body));
    const gw = await pair.gateway();
    // Before trust 191: 5 of 10 were the replica's answer. 20 requests: the replica is picked first by one of them at
    // least (1:1 weights; none: a chance in a million), and each is answered by its peer.
    expect(await statusesOf(gw, 20)).toEqual(Array(20).fill(200));
    expect(pair.hits()).toBeGreaterThan(0);
    expect(ejected(gw)).toEqual([]);
  });
});

it('a 404 about something the request named is still the request’s: passed on, not tried elsewhere', async () => {
  const named = '{"error":{"message":"No such file: file-abc123","type":"invalid_request_error","code":404}}';
  pair.answers((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end(named));
  const gw = await pair.gateway();
  const statuses: number[] = [];
  for (let i = 0; i < 10 && pair.hits() === 0; i++) statuses.push((await chat(gw)).status);
  expect(pair.hits()).toBe(1);
  expect(statuses.at(-1)).toBe(404);
});

it('an Anthropic backend without count_tokens is not ejected by counts: its 404 is passed on, as before', async () => {
  let counts = 0;
  const an = await useUpstream((req, res) => {
    if (req.url?.endsWith('/count_tokens')) {
      counts++;
      return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
    }
    res.writeHead(500).end();
  });
  const gw = await useGateway(
    `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
backends:
  an: { url: "{{a}}", kind: anthropic }
models:
  claude: { targets: [{ backend: an }] }
`,
    { a: an.url },
  );
  for (let i = 0; i < 5; i++) {
    const r = await fetch(`${gw.url}/v1/messages/count_tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await r.arrayBuffer();
    expect(r.status).toBe(404);
  }
  expect(counts).toBe(5);
  expect(gw.eventsOf('ejection')).toEqual([]);
});
