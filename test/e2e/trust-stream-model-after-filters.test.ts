/**
 * The model a streamed answer names, read from its first event with data — but Azure OpenAI opens a stream with a
 * chunk of prompt filter results alone, whose `model` (and id) is empty: read there, the answer's model was none for
 * every Azure stream (the request event's `responseModel` absent, `gen_ai_response_model` unknown in the metrics),
 * where the same answer not streamed names it. The model is now read from the first event that names one. And that
 * chunk was counted as the answer's first output: its time to first token was the prompt filter's, not the model's
 * (what `latency` routing and the TTFT metrics read), and it counted a token of output. A chunk without choices or
 * usage carries no output.
 */
import { describe, expect, it } from 'vitest';
import { ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

/** Azure's opening chunk: prompt filter results, no choices, an empty id and model. */
const FILTERS =
  'data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}\n\n';
const chunk = (o: object) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-2024-08-06', ...o })}\n\n`;

const up = await useUpstream((_req, res, body) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (body.includes('prefill')) {
    // The filter results at once, the first token after a prefill of 300 ms.
    res.write(FILTERS);
    return void setTimeout(
      () =>
        res.end(
          chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }] }) +
            chunk({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 } }) +
            'data: [DONE]\n\n',
        ),
      300,
    );
  }
  // Each its own write (`split`), or the whole stream in one.
  const events = [
    FILTERS,
    chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
    chunk({ choices: [{ index: 0, delta: { content: 'hello' }, finish_reason: null }] }),
    chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
    chunk({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 1, total_tokens: 8 } }),
    'data: [DONE]\n\n',
  ];
  if (!body.includes('split')) return void res.end(events.join(''));
  let i = 0;
  const next = (): void => {
    if (i === events.length) return void res.end();
    res.write(events[i++]);
    setTimeout(next, 2);
  };
  next();
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: up.url });

describe('a stream whose first chunk names no model (Azure’s prompt filter results)', () => {
  it.each(['whole', 'split'])('%s: the answer’s model is the one its chunks name', async (how) => {
    const id = `azure-model-${how}`;
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', stream: true, messages: [{ role: 'user', content: how }] },
      { headers: { 'x-request-id': id } },
    );
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('"hello"');
    expect(await gw.requestEvent(id)).toMatchObject({ responseModel: 'gpt-4o-2024-08-06' });
  });

  it('its time to first token is the first token’s, not the filter results’', async () => {
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: 'm', stream: true, messages: [{ role: 'user', content: 'prefill' }] },
      { headers: { 'x-request-id': 'azure-ttft' } },
    );
    expect(r.body.toString()).toContain('"hello"');
    const e = await gw.requestEvent('azure-ttft');
    // Before: a millisecond or two (the filter results' chunk).
    expect(e.ttftMs).toBeGreaterThanOrEqual(250);
  });
});
