/**
 * Case 30: a prompt that makes BPE quadratic never blocks the gateway's event loop. The file runs alone
 * (npm test runs *.serial.test.ts after the rest), so CPU contention is not mistaken for blocking.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const mock = await startAigw(['mock-backends', '--vllm', 'quiet=0'], 1);
const gw = await useGateway(
  `
version: 1
backends:
  quiet: { url: "{{quiet}}" }
models:
  m: { targets: [{ backend: quiet }] }
tenants:
  t: { keys: [k], limits: { tpm: 10000000 } }
`,
  { quiet: mock.urls.quiet! },
);

describe('the tokenizer stays off the event loop', () => {
  it('keeps the loop under 20 ms of delay while 40k-character prompts without whitespace are counted', async () => {
    const nasty = Array.from({ length: 40_000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    for (let i = 0; i < 3; i++) {
      const r = await rawPost(
        `${gw.url}/v1/chat/completions`,
        { model: 'm', messages: [{ role: 'user', content: `${nasty}${i}` }], max_tokens: 5, stream: true },
        { headers: { authorization: 'Bearer k', 'x-mock-quirks': 'no-usage' } },
      );
      expect(r.status).toBe(200);
      expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    }
    // With no usage from the backend, the gateway counts the prompt itself — in its worker thread.
    await eventually(() => gw.eventsOf('request').filter((e) => e.tokens.inputSource === 'tokenizer').length === 3, 15_000);
    h.disable();
    expect(h.max / 1e6).toBeLessThan(20);
    expect(gw.eventsOf('request').at(-1)!.tokens.input).toBeGreaterThan(1000);
  }, 30_000);
});
