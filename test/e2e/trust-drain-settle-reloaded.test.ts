/**
 * The drain waits for its last requests' settlements (trust-drain-settle-shared) — but it read how many were still
 * settling from the runtime serving at the time: a request that began before a reload (a changed model, its limiter
 * carried over) belongs to the retired runtime, and its settlement was not waited for. The drain closed the token
 * counter under its count, and `aigw serve` exits once the drain returns: the request's SETTLE (its budget's refund)
 * was never sent and its event never logged. The gateway's settling set holds every runtime's requests.
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useServer } from '../helpers/upstream.js';

describe('a drain after a reload', () => {
  it('waits for the settlement of a request that began before the reload', async () => {
    let arrived!: () => void;
    const atBackend = new Promise<void>((r) => (arrived = r));
    let answer!: () => void;
    const answered = new Promise<void>((r) => (answer = r));
    // An answer with no usage, long enough that its count off the event loop takes a while.
    const content = 'the quick brown fox jumps over the lazy dog. '.repeat(10_000);
    const url = await useServer((req, res) => {
      req.resume();
      arrived();
      void answered.then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'x',
            object: 'chat.completion',
            created: 1,
            model: 'm',
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          }),
        );
      });
    });
    const profile = `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b, pricing: { input: 0, output: 1 } }] }
tenants:
  t: { keys: [k], limits: { budget: { usd: 1000, per: 1h } } }
`;
    const gw = await gatewayFor(profile, { b: url });
    const asked = rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 200_000 },
      { headers: { authorization: 'Bearer k' } },
    );
    await atBackend;
    // A reload the limiter outlives: the request stays on the runtime it began on, now retired.
    expect((await gw.stack.reload(gw.stack.profile())).ok).toBe(true);
    answer();
    expect((await asked).status).toBe(200);
    await gw.stack.close(10_000);
    // Before: the drain returned with the count under way and stopped the counter under it: no event yet (then an estimate).
    const events = gw.eventsOf('request');
    expect(events).toHaveLength(1);
    expect(events[0]!.tokens.outputSource).toBe('tokenizer');
  }, 30_000);
});
