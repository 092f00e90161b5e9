/**
 * A 2xx non-streamed body past what the load keeps (1 MiB) is not parsed: whether it is an answer at all — or an
 * error body, or JSON cut short — and its usage are unknown. The load counted it completed with 0 tokens: a target
 * answering every request with 2 MiB of anything passed `errors<0.1%`, and a real long answer pulled tokens/s down
 * unseen. Now it is its own outcome, `200 unread_body`, never throughput; a body within the bound is read as before.
 */
import { describe, expect, it } from 'vitest';
import { loadReads } from '../../helpers/bench-stream.js';
import { useServer } from '../../helpers/upstream.js';

/** A target answering every request with `body` (200, JSON). */
const target = (body: Buffer) =>
  useServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  });

const answer = (content: string) =>
  Buffer.from(
    JSON.stringify({
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 7 },
    }),
  );

describe('a non-streamed body past what the load reads', () => {
  it.each([
    ['a 2 MiB answer', answer('a'.repeat(2 * 1024 * 1024))],
    ['2 MiB of an error body', Buffer.from(`{"error":{"code":"quota_exceeded"},"pad":"${'x'.repeat(2 * 1024 * 1024)}"}`)],
    ['2 MiB of cut JSON', Buffer.from(`{"choices":[{"message":{"content":"${'y'.repeat(2 * 1024 * 1024)}`)],
  ])('%s: unread_body, not completed', async (_name, body) => {
    expect(await loadReads(await target(body), undefined, false)).toMatchObject({ ok: false, status: 200, code: 'unread_body' });
  });

  it('an answer just within the bound is read, usage and all (the control)', async () => {
    const body = answer('');
    const within = answer('b'.repeat(1024 * 1024 - body.length));
    expect(within.length).toBe(1024 * 1024);
    expect(await loadReads(await target(within), undefined, false)).toMatchObject({ ok: true, outputTokens: 7, inputTokens: 3 });
  });
});
