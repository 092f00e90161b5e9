/**
 * A replica answering 404 for its path (trust 191: its base URL wrong) fails over and counts toward its ejection — also
 * when it serves other models too (attacker review). Read as a missing model's 404, it counted for nothing on such a
 * backend (a model one replica lacks must not eject it for the models it has: routing/attempt-policy.ts modelOnly): but
 * the path is the backend's for every model it is sent, so it was never ejected, and every request that picked it
 * (5 of 10 on a 1:1 split, nine in ten under least-request: it answers in a millisecond) went there first, for good.
 */
import { expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { ejected, statusesOf } from '../helpers/replica-pair.js';
import { OK_CHAT_ANSWER, useUpstream } from '../helpers/upstream.js';

let badHits = 0;
const bad = await useUpstream((_req, res) => {
  badHits++;
  res.writeHead(404, { 'content-type': 'application/json' }).end('{"detail":"Not Found"}');
});
const good = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(OK_CHAT_ANSWER);
});

const gw = await useGateway(
  `
version: 1
resilience: { consecutiveFailures: 3, cooldown: 60s }
backends:
  bad: { url: "{{b}}" }
  good: { url: "{{g}}" }
models:
  m: { targets: [{ backend: bad, model: up-m }, { backend: good }] }
  n: { targets: [{ backend: bad, model: up-n }, { backend: good }] }
`,
  { b: bad.url, g: good.url },
);

it('a replica serving two models, answering 404 for its path, is ejected after 3 as one serving one is', async () => {
  expect(await statusesOf(gw, 10, (i) => (i % 2 ? 'n' : 'm'))).toEqual(Array(10).fill(200));
  expect(ejected(gw)).toEqual(['bad']);
  // Before: 5, and never ejected.
  expect(badHits).toBe(3);
});
