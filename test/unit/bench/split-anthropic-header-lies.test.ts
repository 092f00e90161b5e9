/**
 * `split --api anthropic` read the answering backend from the gateway's `x-aigw-backend` before the backend's own word (the
 * mock's `x-mock-backend`; an Anthropic Message has no system_fingerprint): the lie trust 307 closed for OpenAI answers
 * stood under Anthropic's API — a gateway naming a 50/50 alternation while every answer came from mock `a` read 50 %/50 %,
 * p ≈ 1, and `--assert split.p>=0.01` passed a canary that received nothing. The backend's own word is read first now.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { split } from '../../../src/bench/split.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const gate = parseAssertion('split.p>=0.01');
if (!gate.ok) throw new Error(gate.message);

const message = JSON.stringify({
  id: 'msg_1',
  type: 'message',
  role: 'assistant',
  model: 'm',
  content: [{ type: 'text', text: 'ok' }],
  stop_reason: 'end_turn',
  usage: { input_tokens: 3, output_tokens: 1 },
});

describe("split --api anthropic facing a gateway's header that disagrees with the backend's own word", () => {
  it("counts the backend the mock's x-mock-backend names when the weights know it", async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-mock-backend': 'a', 'x-aigw-backend': n % 2 ? 'a' : 'b' }).end(message);
    });
    const r = await split(
      benchContext({ url: up.url, mocks: {} }, { api: 'anthropic', expect: { a: 50, b: 50 }, durationMs: 300, connections: 1 }),
    );
    expect(Number(r.figures['split.requests'])).toBeGreaterThanOrEqual(10);
    expect(r.figures['split.a']).toBe(100);
    expect(r.figures['split.b']).toBe(0);
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
  });

  it('still reads the gateway header when no backend word is there', async () => {
    const up = await useUpstream((_q, res, _body, n) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-aigw-backend': n % 2 ? 'a' : 'b' }).end(message);
    });
    const r = await split(
      benchContext({ url: up.url, mocks: {} }, { api: 'anthropic', expect: { a: 50, b: 50 }, durationMs: 300, connections: 1 }),
    );
    expect(Math.abs(Number(r.figures['split.a']) - 50)).toBeLessThan(5);
    expect(evaluate(gate.value, r.figures).ok).toBe(true);
  });
});
