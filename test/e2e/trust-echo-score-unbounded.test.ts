/**
 * `echo: true, max_tokens: 0` (prompt scoring) is bounded by max_tokens 0 on OpenAI and vLLM alone: a backend that reads
 * a 0 as no limit at all (num_predict 0 on Ollama-like servers, a 0 dropped as falsy) generates to its context. The
 * gateway held the charge to one token a choice (its length bound of 1), so a tenant sending it generated hundreds of
 * tokens a request that its tpm and budget counted as one. The reservation stays one token; the charge is the usage the
 * backend reports. An estimate is still held to the 1: a stream's events hold the echoed prompt, not output.
 */
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

/** A backend that takes max_tokens 0 as "no limit": the prompt back, then 500 tokens generated and reported. */
const up = await useUpstream((_req, res, body) => {
  const { prompt, stream } = JSON.parse(body) as { prompt: string; stream?: boolean };
  if (stream) {
    // No usage in the stream: the gateway estimates from the events, whose text is the prompt echoed.
    const chunk = (text: string, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'text_completion', created: 0, model: 'm', choices: [{ index: 0, text, logprobs: null, finish_reason: finish }] })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`${chunk(prompt, null)}${chunk('', 'length')}data: [DONE]\n\n`);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'cmpl-1',
      object: 'text_completion',
      created: 0,
      model: 'm',
      choices: [{ index: 0, text: `${prompt}${' word'.repeat(500)}`, logprobs: null, finish_reason: 'length' }],
      usage: { prompt_tokens: 3, completion_tokens: 500, total_tokens: 503 },
    }),
  );
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });

describe('a prompt scoring request (echo, max_tokens 0) to a backend that generates anyway', () => {
  it('is charged the tokens the backend says it generated, not one', async () => {
    const res = await fetch(`${gw.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'score-unbounded' },
      body: JSON.stringify({ model: 'm', prompt: 'the cat sat', echo: true, max_tokens: 0 }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const e = await gw.requestEvent('score-unbounded');
    expect(e.tokens.output).toBe(500);
  });

  it('is still held to one token when its output is estimated (a stream without usage: the events are the echo)', async () => {
    const res = await fetch(`${gw.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'score-estimated' },
      body: JSON.stringify({ model: 'm', prompt: 'word '.repeat(400), echo: true, max_tokens: 0, stream: true }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const e = await gw.requestEvent('score-estimated');
    expect(e.tokens.output).toBe(1);
  });
});
