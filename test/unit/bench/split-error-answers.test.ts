/**
 * `split` counted every 200 by the backend it named, whatever its body: a canary whose every answer was an error said with
 * status 200 (`{"error": …}`, as a gateway relays a backend's quota or upstream failure) — or a 200 with nothing a client
 * reads — counted as the canary serving its share, and `--assert split.p>=0.01` passed a canary that answered nothing.
 * The load counts such a 200 as failed (`error_body`, `invalid_body`: trust 103); split now counts only answers a client
 * reads, and says how many 200s it left out.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const gate = parseAssertion('split.p>=0.01');
if (!gate.ok) throw new Error(gate.message);

const answer = (name: string) => JSON.stringify({ system_fingerprint: name, choices: [{ message: { content: 'ok' } }] });

describe('split facing a canary that answers 200 without an answer', () => {
  it.each([
    ['an error body', JSON.stringify({ system_fingerprint: 'b', error: { message: 'quota exceeded', code: 'insufficient_quota' } })],
    ['no choice to read', JSON.stringify({ system_fingerprint: 'b', choices: [] })],
    ['a body that is not JSON', 'Internal Server Error'],
  ])('does not count %s as the canary serving', async (_name, broken) => {
    const up = await useUpstream((_q, res, _body, n) => {
      const canary = n % 2 === 0;
      res.writeHead(200, { 'content-type': 'application/json', 'x-aigw-backend': canary ? 'b' : 'a' }).end(canary ? broken : answer('a'));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 50, b: 50 }, durationMs: 300, connections: 1 }));
    expect(r.figures['split.b']).toBe(0);
    expect(r.figures['split.a']).toBe(100);
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
    expect(r.lines.join('\n')).toMatch(/\d+ answered 200 without an answer a client reads/);
  });

  it('still reads a right split of answers', async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(answer(n % 2 ? 'a' : 'b'));
    });
    const r = await split(benchContext({ url: up.url, mocks: {} }, { expect: { a: 50, b: 50 }, durationMs: 300, connections: 1 }));
    expect(Math.abs(Number(r.figures['split.a']) - 50)).toBeLessThan(5);
    expect(evaluate(gate.value, r.figures).ok).toBe(true);
  });
});
