/**
 * `ratelimit` checks retry-after's honesty: one client waits what a 429 said and retries. It read only OpenAI's
 * `retry-after-ms`: a gateway saying `retry-after` in seconds (HTTP's header, which openai-node and the bench's own pacer
 * read too) was never checked, and the line said every wait was longer than the run.
 */
import { describe, expect, it } from 'vitest';
import { ratelimit } from '../../../src/bench/ratelimit.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

describe('ratelimit against a gateway that says retry-after in seconds', () => {
  it('checks its honesty', async () => {
    let openAt = 0;
    const url = await useServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const now = Date.now();
        if (now >= openAt) {
          openAt = now + 1000;
          res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'ok' } }], usage: { total_tokens: 10 } }));
          return;
        }
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': String(Math.ceil((openAt - now) / 1000)) })
          .end(JSON.stringify({ error: { message: 'slow down', type: 'tokens', code: 'rate_limit_exceeded' } }));
      });
    });
    const profile = { tenants: { t: { keys: ['k'], limits: { tpm: 1000 } } }, limits: { rateWindow: 60_000 } } as never;
    const ctx = benchContext({ url, mocks: {} }, { profile, limitedKey: 'k', durationMs: 3000, drainMs: 2000 });
    const r = await ratelimit(ctx);
    expect(r.figures['ratelimit.retryAfterHonest']).not.toBeNull();
    expect(r.lines.join('\n')).toMatch(/retry-after honest in \d+\/\d+ retries/);
  });
});
