/**
 * A backend that answers a redirect (301, 302, 307, 308) — a replica behind another path configuration (Starlette's
 * trailing-slash 307), an http URL its host moves to https, a proxy's login page — has not answered the request: it is
 * misconfigured, and another target may answer. The gateway follows no redirect (the body is a POST the backend's own
 * URL is configured for). Before, a 3xx was neither failed over nor counted: every request that picked such a replica
 * got 502 `upstream_error` while its peer was well (half of a 1:1 split), the replica was never ejected, and its
 * millisecond refusals made it the quickest replica to `latency`.
 */
import { expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

const moved = await useUpstream((req, res) => {
  res.writeHead(307, { location: `${req.url}/`, 'content-type': 'text/plain' }).end('Temporary Redirect');
});
const well = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
backends:
  moved: { url: "{{moved}}" }
  well: { url: "{{well}}" }
models:
  m: { targets: [{ backend: moved }, { backend: well }] }
  only-moved: { targets: [{ backend: moved }] }
`,
  { moved: moved.url, well: well.url },
);

const chat = async (model: string) => {
  const r = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
  });
  return { status: r.status, backend: r.headers.get('x-aigw-backend'), body: await r.text() };
};

it('a redirecting replica fails over to its peer, and is ejected like any failing replica', async () => {
  const answers = [];
  for (let i = 0; i < 10; i++) answers.push(await chat('m'));
  // Before: 5 of 10 were 502 upstream_error.
  expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
  expect(new Set(answers.map((a) => a.backend))).toEqual(new Set(['well']));
  const ejected = gw.eventsOf('ejection').filter((e) => e.ejected);
  expect(ejected.map((e) => e.backend)).toEqual(['moved']);
});

it('a model whose only target redirects is a 502 upstream_error naming the status', async () => {
  const r = await chat('only-moved');
  expect(r.status).toBe(502);
  const error = JSON.parse(r.body).error;
  expect(error.code).toBe('upstream_error');
  expect(error.message).toContain('HTTP 307');
});
