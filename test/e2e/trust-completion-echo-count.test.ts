/**
 * A completion asked with `echo: true` gets its prompt back before what was generated (vLLM and OpenAI begin each
 * choice's text with it; vLLM's usage counts it as prompt only). From a backend without usage, the gateway counted the
 * answer's text — the echoed prompt with it — as output: a 2,000-token prompt echoed made ~2,000 output tokens of a
 * 3-token answer, in the event, the metrics and what a tenant's tpm was charged. The echo is left out of a
 * non-streamed answer's count. (A stream's estimate, made when no usage came, still counts it: cut against the prompt's
 * length it would undercharge a backend that ignores echo, and its first event is not compared with the prompt.)
 */
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

/** ~2,000 tokens of prompt (o200k: one a word). */
const PROMPT = 'word '.repeat(2000);
const ANSWER = 'ok ok ok';

/** A backend that echoes as vLLM does when asked (unless told not to: `x-no-echo`), and sends no usage. */
const up = await useUpstream((req, res, body) => {
  const { prompt, echo } = JSON.parse(body) as { prompt: string; echo?: boolean };
  const text = (echo && !req.headers['x-no-echo'] ? prompt : '') + ANSWER;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ id: 'cmpl', object: 'text_completion', model: 'm', choices: [{ index: 0, text, finish_reason: 'stop' }] }));
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });

let sent = 0;
/** The tokens the gateway counted for one completion of PROMPT. */
async function tokensOf(echo: boolean, headers: Record<string, string> = {}): Promise<{ output: number; input: number }> {
  const id = `echo-${++sent}`;
  const r = await fetch(`${gw.url}/v1/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id, ...headers },
    body: JSON.stringify({ model: 'm', prompt: PROMPT, echo }),
  });
  expect(r.status).toBe(200);
  expect(await r.text()).toContain(ANSWER);
  const e = await gw.requestEvent(id);
  return { output: e.tokens.output, input: e.tokens.input };
}

describe('an echo: true completion without usage, not streamed', () => {
  it('counts what was generated as output, and the prompt as input', async () => {
    const t = await tokensOf(true);
    expect(t.output).toBeLessThan(10);
    expect(t.input).toBeGreaterThan(1900);
    // Without echo, the same answer counts the same.
    expect((await tokensOf(false)).output).toBe(t.output);
  });

  it('from a backend that does not echo, counts the answer whole', async () => {
    // The prompt is left out only where a choice's text begins with it.
    expect((await tokensOf(true, { 'x-no-echo': '1' })).output).toBe((await tokensOf(false)).output);
  });
});
