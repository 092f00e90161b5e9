/**
 * vLLM's legacy completions take `prompt_embeds` in place of a prompt (with --enable-prompt-embeds): its request
 * validator asks for "either prompt or prompt_embeds", and its docs send `prompt: ""` only because openai-python
 * will not leave `prompt` out. The gateway required `prompt` whatever else the body held: a request of embeddings
 * alone (curl, any client not bound to the SDK's types) was a 400 "prompt: expected a string or an array, got
 * undefined" where vLLM answers it. A request with neither is still refused, naming `prompt`.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const EMBEDS = 'UEsDBAAACAgAAAAAAAAAAAAAAAAAAAAAAAAQABIAYXJjaGl2ZS9kYXRhLnBrbEZCDgBaWlpaWlpaWlpaWlpaWlqAAg==';

/** As vLLM answers: a choice for each embeds entry, 100 prompt tokens each. */
const up = await useUpstream((_req, res, body) => {
  const b = JSON.parse(body) as { prompt_embeds?: unknown; max_tokens?: number };
  const choices = Array.isArray(b.prompt_embeds) ? b.prompt_embeds.length : 1;
  const completion = choices * (b.max_tokens ?? 16);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'cmpl-x',
      object: 'text_completion',
      model: 'm',
      choices: Array.from({ length: choices }, (_, index) => ({ index, text: 'ok', finish_reason: 'length' })),
      usage: { prompt_tokens: 100 * choices, completion_tokens: completion, total_tokens: 100 * choices + completion },
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
`,
  { u: up.url },
);

const ask = (extra: Record<string, unknown>, id: string) =>
  rawPost(`${gw.url}/v1/completions`, { model: 'base', max_tokens: 10, ...extra }, { headers: { 'x-request-id': id } });

describe('a completion of prompt_embeds alone', () => {
  for (const [name, extra] of [
    ['no prompt', { prompt_embeds: EMBEDS }],
    ['prompt null', { prompt: null, prompt_embeds: [EMBEDS, EMBEDS] }],
  ] as const) {
    it(`is served as vLLM serves it (${name})`, async () => {
      const id = `embeds-alone-${name.replace(' ', '-')}`;
      const r = await ask(extra, id);
      expect(r.status, r.body.toString()).toBe(200);
      const e = await gw.requestEvent(id);
      const entries = Array.isArray(extra.prompt_embeds) ? extra.prompt_embeds.length : 1;
      expect(e.tokens.output).toBe(10 * entries);
      expect(e.tokens.input).toBe(100 * entries);
    });
  }

  it('with neither prompt nor prompt_embeds is refused 400, naming prompt', async () => {
    for (const extra of [{}, { prompt_embeds: [] }, { prompt: null, prompt_embeds: null }]) {
      const r = await ask(extra, 'neither');
      expect(r.status, r.body.toString()).toBe(400);
      expect(JSON.parse(r.body.toString()).error.param).toBe('prompt');
    }
  });
});
