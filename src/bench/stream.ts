/**
 * `stream`: concurrent streams measuring time to first token, inter-token latency and tokens/s, and event
 * fidelity — every content event the backend emitted must arrive as its own event, with the text the
 * mocks' generator says it must be (coalescing, drops and corruption all show here).
 */
import { chatPromptKey, generateText } from '../mock/text.js';
import { chatBody, deltaText, stream } from './client.js';
import { quantile, round, type BenchContext, type ScenarioResult } from './context.js';

const TOKENS = 64;

export async function streamScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const conns = Math.max(1, Math.min(ctx.connections, 16));
  ctx.progress(`stream: ${conns} concurrent streams of ${TOKENS} tokens for ${ctx.durationMs / 1000}s`);
  const ttft: number[] = [];
  const itl: number[] = [];
  const tps: number[] = [];
  let streams = 0;
  let faithful = 0;
  let corrupted = 0;
  let received = 0;
  let expected = 0;
  const end = Date.now() + ctx.durationMs;
  let seq = 0;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (Date.now() < end) {
        const content = `stream ${seq++ % 97} [[mock chunk=1]]`;
        const body = chatBody(ctx, content, { max_tokens: TOKENS, seed: 7 });
        const times: number[] = [];
        let text = '';
        const r = await stream(ctx, body, {
          onEvent: (ev, at) => {
            if (!ev.data || ev.data === '[DONE]') return;
            const t = deltaText(ev.data);
            if (t) {
              times.push(at);
              text += t;
            }
          },
        });
        if (r.status !== 200) continue;
        streams++;
        received += times.length;
        expected += TOKENS;
        if (times.length) ttft.push(times[0]!);
        for (let i = 1; i < times.length; i++) itl.push(times[i]! - times[i - 1]!);
        if (times.length > 1) tps.push(((times.length - 1) * 1000) / Math.max(0.001, times.at(-1)! - times[0]!));
        const want = generateText(chatPromptKey(body.messages as { role: string; content: string }[]), 7, TOKENS);
        if (text === want && times.length === TOKENS) faithful++;
        else if (text !== want) corrupted++;
      }
    }),
  );
  for (const xs of [ttft, itl, tps]) xs.sort((a, b) => a - b);
  const figures = {
    'stream.count': streams,
    'ttft.p50': round(quantile(ttft, 0.5), 3),
    'ttft.p99': round(quantile(ttft, 0.99), 3),
    'itl.p50': round(quantile(itl, 0.5), 3),
    'itl.p99': round(quantile(itl, 0.99), 3),
    'stream.tokensPerSecond': round(quantile(tps, 0.5), 1),
    'stream.fidelity': expected ? round(received / expected, 4) : 0,
    'stream.faithful': streams ? round(faithful / streams, 4) : 0,
    'stream.corrupted': corrupted,
  };
  return {
    figures,
    lines: [
      `stream      ${streams} streams  TTFT p50 ${figures['ttft.p50']} ms p99 ${figures['ttft.p99']} ms  ` +
        `ITL p50 ${figures['itl.p50']} ms p99 ${figures['itl.p99']} ms  ${figures['stream.tokensPerSecond']} tok/s per stream`,
      `            events received/emitted ${(figures['stream.fidelity'] * 100).toFixed(2)}%, ` +
        `streams byte-exact ${(figures['stream.faithful'] * 100).toFixed(1)}%, corrupted ${corrupted}`,
    ],
  };
}
