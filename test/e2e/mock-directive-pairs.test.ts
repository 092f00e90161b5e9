/**
 * A `[[mock …]]` directive is read from the last user message — any length up to the body bound (8 MiB through the
 * gateway, 64 MiB straight to a mock). It was split into an array of every pair and each pair's key kept in an
 * object, two or three times per request (controls, tool, the Anthropic mock's cache split): a directive of a million
 * distinct `kN=v` pairs was a million strings and an object of a million properties each time — seconds of the mock's
 * loop and hundreds of MB for one request. Only the keys a directive sets are kept now, read pair by pair: pinned
 * by test/unit/mock/controls.test.ts (the parser against a reference that keeps those keys alone). Here, the mocks
 * answer such a request as its directive says; the times are printed, not judged (a loaded machine's swing).
 */
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'directed', kind: 'vllm' });
const claude = await useMock({ name: 'claude', kind: 'anthropic' });

const PAIRS = 2_000_000;
const pairs = Array.from({ length: PAIRS }, (_, i) => `k${i}=v`).join(' ');
/** As long as the directive, without one: what the rest of the request costs (parse, key, count). */
const plain = 'k'.repeat(pairs.length);

const timed = async (send: () => Promise<Response>) => {
  const t0 = performance.now();
  const r = await send();
  const body = await r.text();
  return { status: r.status, body, ms: performance.now() - t0 };
};

describe('a directive of millions of pairs', () => {
  it('is applied by the vLLM mock', async () => {
    const chat = (content: string) => () =>
      postJson(`${mock.url}/v1/chat/completions`, { model: 'm', messages: [{ role: 'user', content }], max_tokens: 3 });
    await timed(chat(plain));
    const base = await timed(chat(plain));
    const directed = await timed(chat(`[[mock ${pairs} fault=status:418]]`));
    expect(directed.status).toBe(418);
    console.info(`vLLM mock: plain ${base.ms.toFixed(0)} ms, directive ${directed.ms.toFixed(0)} ms`);
  }, 120_000);

  it('is applied by the Anthropic mock (three readings: controls, tool, cache split)', async () => {
    const messages = (content: string) => () =>
      fetch(`${claude.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'c', max_tokens: 3, messages: [{ role: 'user', content }] }),
      });
    await timed(messages(plain));
    const base = await timed(messages(plain));
    const directed = await timed(messages(`[[mock ${pairs} cache_read=2]]`));
    expect(directed.status).toBe(200);
    expect((JSON.parse(directed.body) as { usage: { cache_read_input_tokens: number } }).usage.cache_read_input_tokens).toBe(2);
    console.info(`Anthropic mock: plain ${base.ms.toFixed(0)} ms, directive ${directed.ms.toFixed(0)} ms`);
  }, 120_000);
});
