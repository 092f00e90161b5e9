/**
 * OpenAI client → Anthropic backend, a request with a temperature and `top_p: 1` — OpenAI's default, which client apps
 * send beside their temperature (NextChat, ChatterUI, agent frameworks). Claude models since Sonnet 4.5 refuse the two
 * together: 400 "`temperature` and `top_p` cannot both be specified for this model. Please use only one." The
 * translation sent both, so a request OpenAI answers was refused for a top_p that cuts nothing. top_p 1 is now left
 * out; any other top_p is the client's choice and is sent. The backend here refuses as those models do.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { anthropicTextMessage, useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-default-top-p';
const up = await useUpstream((_req, res, body) => {
  const req = JSON.parse(body) as { temperature?: number; top_p?: number };
  if (req.temperature !== undefined && req.top_p !== undefined) {
    const message = '`temperature` and `top_p` cannot both be specified for this model. Please use only one.';
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('Hi.', { input_tokens: 3, output_tokens: 2 }));
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });
const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
const sent = () => JSON.parse(up.seen.at(-1)!.body) as { temperature?: number; top_p?: number };

describe('top_p 1 beside a temperature, to an Anthropic backend', () => {
  it('is left out: the answer is the backend’s', async () => {
    const a = await client.chat.completions.create({
      model: 'claude',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.7,
      top_p: 1,
    });
    expect(a.choices[0]!.message.content).toBe('Hi.');
    expect(sent()).toMatchObject({ temperature: 0.7 });
    expect(sent()).not.toHaveProperty('top_p');
  });

  it('another top_p is sent as the client chose it', async () => {
    await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], top_p: 0.9 });
    expect(sent().top_p).toBe(0.9);
  });
});
