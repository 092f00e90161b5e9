/**
 * Case 30: a prompt that makes BPE expensive never blocks the gateway's event loop. The cases are seconds
 * apart, not milliseconds: counted on the loop, three 200k-character prompts without whitespace hold it for
 * seconds (even with the runs cut); counted in the worker thread, the loop's worst delay stays far below a
 * second, however loaded the machine. The file also runs alone (npm test runs *.serial.test.ts last).
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
  it('keeps the loop responsive while 200k-character prompts without whitespace are counted', async () => {
    const nasty = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');
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
    // With no usage from the backend, the gateway counts the prompt itself — in its worker thread (exactly,
    // or, past the thread's time budget on a slow machine, as an estimate the event says it is).
    await eventually(() => gw.eventsOf('request').filter((e) => e.tokens.inputSource !== 'none').length === 3, 60_000);
    h.disable();
    expect(h.max / 1e6).toBeLessThan(1000);
    expect(gw.eventsOf('request').at(-1)!.tokens.input).toBeGreaterThan(10_000);
  }, 90_000);
});
