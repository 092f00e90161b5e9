/**
 * The parse thread for large bodies (src/gateway/off-loop-parse.ts), with a real worker: what it answers, what it
 * does with the bytes, and that what waits for it stays bounded (past the bound the caller parses inline).
 * The worker runs the build's code (dist/), as `npm test` builds first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_QUEUED_BYTES, OffLoopParser } from '../../../src/gateway/off-loop-parse.js';

const body = (content: string) => Buffer.from(JSON.stringify({ model: 'm', messages: [{ role: 'user', content }], stream: true }));

describe('OffLoopParser', () => {
  let parser: OffLoopParser;
  afterEach(() => parser.stop());

  it('answers a request whose text and parsed body are the bytes it was given, which it takes and gives back', async () => {
    parser = new OffLoopParser();
    const bytes = body('é'.repeat(100_000));
    const r = await parser.parse('chat', bytes, 'application/json');
    expect(bytes.length).toBe(0);
    if (!r?.ok) throw new Error('refused');
    expect(r.value).toMatchObject({ model: 'm', stream: true, endpoint: 'chat', raw: { promptTokens: expect.any(Number) } });
    expect(r.value.raw!.bytes.toString()).toBe(body('é'.repeat(100_000)).toString());
    expect(r.value.json).toEqual(JSON.parse(body('é'.repeat(100_000)).toString()));
  });

  it('answers a refusal as the inline parse words it', async () => {
    parser = new OffLoopParser();
    const r = await parser.parse('chat', Buffer.from('{"model":"m","messages":[]}'), 'application/json');
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid_request', param: 'messages' } });
  });

  it(`holds at most ${MAX_QUEUED_BYTES / 2 ** 20} MiB for the thread: past it, undefined (the caller parses inline)`, async () => {
    parser = new OffLoopParser();
    const half = body('x'.repeat(MAX_QUEUED_BYTES / 2));
    const first = parser.parse('chat', half, 'application/json');
    expect(first).toBeInstanceOf(Promise);
    expect(parser.parse('chat', body('x'.repeat(MAX_QUEUED_BYTES / 2)), 'application/json')).toBeUndefined();
    expect((await first)?.ok).toBe(true);
    // Answered: its bytes no longer count.
    const again = parser.parse('chat', body('y'), 'application/json');
    expect((await again)?.ok).toBe(true);
  });

  it('copies a buffer that is a slice of a larger one rather than take its neighbours', async () => {
    parser = new OffLoopParser();
    const whole = Buffer.concat([Buffer.from('neighbour'), body('z')]);
    const slice = whole.subarray(9);
    const r = await parser.parse('chat', slice, 'application/json');
    expect(r?.ok).toBe(true);
    expect(whole.subarray(0, 9).toString()).toBe('neighbour');
  });
});
