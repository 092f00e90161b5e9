/**
 * A backend that answers a redirect (301, 302, 307, 308) — a replica behind another path configuration (Starlette's
 * trailing-slash 307), an http URL its host moves to https, a proxy's login page — has not answered the request: it is
 * misconfigured, and another target may answer. The gateway follows no redirect (the body is a POST the backend's own
 * URL is configured for). Before, a 3xx was neither failed over nor counted: every request that picked such a replica
 * got 502 `upstream_error` while its peer was well (half of a 1:1 split), the replica was never ejected, and its
 * millisecond refusals made it the quickest replica to `latency`.
 */
import { expect, it } from 'vitest';
import { chat, ejected, useReplicaPair } from '../helpers/replica-pair.js';

const pair = await useReplicaPair((req, res) => {
  res.writeHead(307, { location: `${req.url}/`, 'content-type': 'text/plain' }).end('Temporary Redirect');
});
const gw = await pair.gateway();

it('a redirecting replica fails over to its peer, and is ejected like any failing replica', async () => {
  const answers = [];
  for (let i = 0; i < 10; i++) answers.push(await chat(gw));
  // Before: 5 of 10 were 502 upstream_error.
  expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
  expect(new Set(answers.map((a) => a.backend))).toEqual(new Set(['good']));
  expect(ejected(gw)).toEqual(['bad']);
});

it('a model whose only target redirects is a 502 upstream_error naming the status', async () => {
  const r = await chat(gw, 'only-bad');
  expect(r.status).toBe(502);
  const error = JSON.parse(r.body).error;
  expect(error.code).toBe('upstream_error');
  expect(error.message).toContain('HTTP 307');
});
