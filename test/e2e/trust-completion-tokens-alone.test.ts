/**
 * `max_completion_tokens` alone bounds an answer on OpenAI and vLLM, but not on a backend that reads `max_tokens` (or
 * `n_predict`) alone: llama.cpp's server before 2026 (ggml-org/llama.cpp#13700), llama-cpp-python, llamafile — each
 * generates to its context without them. The gateway read max_completion_tokens 1 as a bound every backend holds: the
 * charge was capped at 1 token whatever the backend generated, and a non-streamed answer was read as a short one, so
 * one that outlasted timeouts.firstByte counted toward its backend's ejection (three such requests ejected both
 * targets of a model). Here the scripted backends answer as llama.cpp reads a request.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-completion-tokens';

/** The tokens llama.cpp generates for a request: n_predict, else max_tokens, else to its context (here 3,000). */
const generated = (b: Record<string, number | undefined>): number => b.n_predict ?? b.max_tokens ?? 3000;

function answer(res: ServerResponse, completion: number): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'length' }],
      usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: completion + 10 },
    }),
  );
}

const llama = await useUpstream((_req, res, body) => answer(res, generated(JSON.parse(body) as Record<string, number | undefined>)));

/** Two replicas that write 100 tokens a second: an answer's head comes once it is written. */
const slow = async () =>
  useUpstream((_req, res, body) => {
    const n = generated(JSON.parse(body) as Record<string, number | undefined>);
    setTimeout(() => answer(res, n), Math.min(n, 150) * 10);
  });
const r1 = await slow();
const r2 = await slow();

const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: 500ms }
resilience: { attempts: 2, consecutiveFailures: 3 }
backends:
  lc: { url: "{{lc}}" }
  r1: { url: "{{r1}}" }
  r2: { url: "{{r2}}" }
models:
  local: { targets: [{ backend: lc }] }
  pair: { targets: [{ backend: r1 }, { backend: r2 }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
`,
  { lc: llama.url, r1: r1.url, r2: r2.url },
);

const ask = (model: string, extra: Record<string, unknown>, id: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model, messages: [{ role: 'user', content: 'write' }], ...extra },
    { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': id } },
  );

describe('max_completion_tokens alone, on a backend that reads max_tokens alone', () => {
  it('the 3,000 tokens the backend generated are charged, not max_completion_tokens 1', async () => {
    const r = await ask('local', { max_completion_tokens: 1 }, 'mct-alone');
    expect(r.status).toBe(200);
    expect((await gw.requestEvent('mct-alone')).tokens.output).toBe(3000);
  });

  it('beside max_tokens, as before: the larger bounds the charge', async () => {
    const r = await ask('local', { max_tokens: 7, max_completion_tokens: 5 }, 'mct-beside');
    expect(r.status).toBe(200);
    expect((await gw.requestEvent('mct-beside')).tokens.output).toBe(7);
  });

  it("a long answer that outlasts timeouts.firstByte counts toward no backend's ejection", async () => {
    // Each answer takes 1.5 s on either replica, three times the deadline.
    for (let i = 0; i < 3; i++) await ask('pair', { max_completion_tokens: 1 }, `mct-slow-${i}`);
    expect(gw.eventsOf('ejection').filter((e) => e.ejected)).toEqual([]);
  }, 30_000);
});
