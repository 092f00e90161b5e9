/**
 * `POST /mock/control` refuses a bad body with a message of bounded size, as the mocks quote a client's values
 * elsewhere (at most 200 characters, then "…"): it named every unknown field and quoted a bad duration whole, so a
 * body of 100,000 unknown keys was answered with a 1.3 MB 400, and a 4 MiB `ttft` string with itself.
 */
import { describe, expect, it } from 'vitest';
import { useMock } from '../helpers/mocks.js';

const mock = await useMock({ name: 'paced', kind: 'vllm' });
const control = (body: string) => fetch(`${mock.url}/mock/control`, { method: 'POST', body });

describe('a refused /mock/control body', () => {
  it.each([
    [
      '100,000 unknown fields',
      `{${Array.from({ length: 100_000 }, (_, i) => `"field${i}":1`).join(',')}}`,
      /unknown field "field0", "field1"/,
    ],
    ['an unknown field of 4 MiB', `{"${'k'.repeat(4 * 2 ** 20)}":1}`, /unknown field "kkkk/],
    ['a duration of 4 MiB', `{"ttft":"${'9'.repeat(4 * 2 ** 20)}"}`, /^mock control: ttft: expected a duration/],
  ])('%s: a 400 of at most a few hundred bytes that still names the problem', async (_name, body, message) => {
    const r = await control(body);
    expect(r.status).toBe(400);
    const text = await r.text();
    expect(text.length).toBeLessThan(1024);
    expect((JSON.parse(text) as { error: { message: string } }).error.message).toMatch(message);
    // The pace is unchanged, and the control still works.
    expect((await control('{"slowdown":2}')).status).toBe(200);
    expect((await control('{"reset":true}')).status).toBe(200);
  });
});
