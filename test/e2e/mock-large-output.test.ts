/**
 * A ≥ 100 MB streamed completion from a real `aigw mock-backends` process, whose memory must stay flat:
 * the bound is 64 MiB of RSS growth over the process's own baseline after a warm-up request.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { SseDecoder } from '../../src/openai/sse.js';
import { generatedByteLength, chatPromptKey } from '../../src/mock/text.js';
import { rssOf, startAigw } from '../helpers/cli.js';

const RSS_GROWTH_BOUND = 64 * 1024 * 1024;
const MAX_TOKENS = 6_000_000;
const messages = [{ role: 'user', content: 'write a very long story' }];

describe('a 100 MB+ stream from a mock process', () => {
  it("arrives whole while the mock's RSS stays flat", async () => {
    const mock = await startAigw(['mock-backends', '--vllm', 'big=0'], 1);
    const pid = mock.child.pid!;
    const url = `${mock.urls.big}/v1/chat/completions`;
    await fetch(url, { method: 'POST', body: JSON.stringify({ model: 'm', messages, max_tokens: 1000, stream: true }) }).then((r) =>
      r.text(),
    );
    const baseline = rssOf(pid);
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);

    let bytes = 0;
    let textBytes = 0;
    let sawDone = false;
    const decoder = new SseDecoder();
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-mock-chunk-tokens': '16' } }, (res) => {
        res.on('data', (d: Buffer) => {
          bytes += d.length;
          decoder.push(d, {
            onEvent: (ev) => {
              if (ev.data === '[DONE]') sawDone = true;
              else if (ev.data) textBytes += Buffer.byteLength(JSON.parse(ev.data).choices[0]?.delta?.content ?? '');
            },
          });
        });
        res.on('end', resolve);
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ model: 'm', messages, max_tokens: MAX_TOKENS, stream: true, seed: 5 }));
    });
    clearInterval(sampler);

    const mib = (n: number, digits: number) => (n / 2 ** 20).toFixed(digits);
    console.log(`streamed ${mib(bytes, 1)} MiB; mock RSS ${mib(baseline, 0)} → peak ${mib(peak, 0)} MiB`);
    expect(bytes).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    expect(sawDone).toBe(true);
    expect(textBytes).toBe(generatedByteLength(chatPromptKey(messages), 5, MAX_TOKENS));
    expect(peak - baseline, `baseline ${baseline >> 20} MiB, peak ${peak >> 20} MiB`).toBeLessThan(RSS_GROWTH_BOUND);
    expect(await mock.stop()).toBe(0);
  }, 120_000);
});
