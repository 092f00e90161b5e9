/**
 * vLLM's legacy completions take `prompt_embeds` beside `prompt` (with --enable-prompt-embeds): each entry is a prompt
 * of its own, rendered after the prompt's (renderer.render_completions: the text prompts, then every embeds entry),
 * and each gets its n answers. The gateway counted the prompt's batch alone: a request of prompt "x", max_tokens 100
 * and eight embeddings was reserved 100 output tokens and charged 100 (usage is capped at max_tokens × its answers)
 * for 900 generated. And an entry is a tensor of any length in a few bytes (vLLM takes sparse layouts, to spare the
 * transfer): its prompt tokens have no bound to be read off the request's size, where a prompt count over 2 × its
 * bytes was capped as a backend's error. Here the scripted backend answers as vLLM counts.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-prompt-embeds';
/** What one embeds entry stands for here: a sparse tensor of this many rows (its base64 is ~100 bytes). */
const ROWS = 50_000;
const EMBEDS = 'UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAQABIAYXJjaGl2ZS9kYXRhLnBrbEZCDgBaWlpaWlpaWlpaWlpaWlqAAg==';

const up = await useUpstream((_req, res, body) => {
  const b = JSON.parse(body) as { prompt?: unknown; prompt_embeds?: unknown; max_tokens?: number; n?: number };
  const texts = Array.isArray(b.prompt) && b.prompt.length > 0 && typeof b.prompt[0] !== 'number' ? b.prompt.length : 1;
  const embeds = Array.isArray(b.prompt_embeds) ? b.prompt_embeds.length : b.prompt_embeds ? 1 : 0;
  const n = b.n ?? 1;
  const choices = (texts + embeds) * n;
  const completion = choices * (b.max_tokens ?? 16);
  const prompt = texts * 10 + embeds * ROWS;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'cmpl-x',
      object: 'text_completion',
      model: 'm',
      choices: Array.from({ length: choices }, (_, index) => ({ index, text: 'ok', finish_reason: 'length' })),
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  vl: { url: "{{u}}" }
models:
  base: { targets: [{ backend: vl }] }
tenants:
  t: { keys: ["${KEY}"], limits: { tpm: 100000000 } }
  small: { keys: ["${KEY}-small"], limits: { tpm: 2000 } }
`,
  { u: up.url },
);

const ask = (extra: Record<string, unknown>, id: string, key = KEY) =>
  rawPost(
    `${gw.url}/v1/completions`,
    { model: 'base', prompt: 'x', ...extra },
    { headers: { authorization: `Bearer ${key}`, 'x-request-id': id } },
  );

async function charged(extra: Record<string, unknown>, id: string): Promise<{ input: number; output: number }> {
  const r = await ask(extra, id);
  expect(r.status).toBe(200);
  return (await gw.requestEvent(id)).tokens;
}

describe("a completion's prompt_embeds", () => {
  it('are prompts of their own: eight entries beside the prompt are nine answers charged as nine', async () => {
    const tokens = await charged({ max_tokens: 100, prompt_embeds: Array(8).fill(EMBEDS) }, 'embeds-answers');
    expect(tokens.output).toBe(900);
  });

  it('multiply with n and a batch of prompts', async () => {
    const tokens = await charged({ prompt: ['a', 'b'], n: 2, max_tokens: 10, prompt_embeds: [EMBEDS, EMBEDS, EMBEDS] }, 'embeds-n');
    expect(tokens.output).toBe(100);
  });

  it('one entry given as a string is one more prompt', async () => {
    expect((await charged({ max_tokens: 50, prompt_embeds: EMBEDS }, 'embeds-one')).output).toBe(100);
  });

  it("have their prompt tokens charged as the backend counts them, not capped by the request's size", async () => {
    const tokens = await charged({ max_tokens: 1, prompt_embeds: Array(8).fill(EMBEDS) }, 'embeds-prompt');
    expect(tokens.input).toBe(10 + 8 * ROWS);
  });

  it("a request whose entries could generate more than the tenant's whole tpm is refused before it is sent", async () => {
    const before = up.seen.length;
    const r = await ask({ max_tokens: 300, prompt_embeds: Array(8).fill(EMBEDS) }, 'embeds-over-bucket', `${KEY}-small`);
    expect(r.status).toBe(429);
    expect(up.seen.length).toBe(before);
  });

  it('without them, as before', async () => {
    expect(await charged({ max_tokens: 7, n: 2 }, 'embeds-none')).toMatchObject({ input: 10, output: 14 });
    expect((await charged({ max_tokens: 7, prompt_embeds: [] }, 'embeds-empty')).output).toBe(7);
  });
});
