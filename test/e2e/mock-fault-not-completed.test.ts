/**
 * `/mock/stats` `completed` counts answers the mock finished — not one it cut itself for an injected fault. A reset or
 * close left `res.destroyed` false until the socket's 'close' a tick later, so the sender then ended the cut response
 * (a write on a dead socket) and counted it as completed, beside the fault.
 */
import { describe, expect, it } from 'vitest';
import { chat, useMock } from '../helpers/mocks.js';
import { rawPost } from '../helpers/raw.js';

const mock = await useMock({ name: 'cutter', kind: 'vllm' });
const url = `${mock.url}/v1/chat/completions`;
const stats = async () => (await (await fetch(`${mock.url}/mock/stats`)).json()) as { completed: number; faults: Record<string, number> };

describe('a response the mock cut is not completed', () => {
  it.each([
    ['reset-after:5', true],
    ['close-after:5', true],
    ['reset-after:100', false],
    ['close-after:100', false],
  ])('%s (streamed: %s)', async (fault, stream) => {
    const before = await stats();
    const r = await rawPost(url, chat('cut me', { max_tokens: 5000, stream }), { headers: { 'x-mock-fault': fault } });
    expect(r.ended).toBe('aborted');
    // The count (right or wrong) is made in the same turn as the cut, before the client can see it.
    const after = await stats();
    const kind = fault.split(':')[0]!;
    expect(after.faults[kind]).toBe((before.faults[kind] ?? 0) + 1);
    expect(after.completed).toBe(before.completed);
  });

  it('an answer sent whole is still completed', async () => {
    const before = await stats();
    const r = await rawPost(url, chat('whole', { max_tokens: 5000, stream: true }), { headers: { 'x-mock-fault': 'reset-after:9000' } });
    expect(r.ended).toBe('complete');
    expect((await stats()).completed).toBe(before.completed + 1);
  });
});
