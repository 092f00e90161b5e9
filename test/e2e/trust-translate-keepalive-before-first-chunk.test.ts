/**
 * OpenAI backend → Anthropic client, a stream whose backend keeps its connection alive with SSE comments before its
 * first chunk (OpenRouter's `: OPENROUTER PROCESSING` while a provider is busy, any server's `: ping` through a long
 * prefill). The translation made nothing of a comment until the answer had begun, and node:http sends a head only with
 * the first bytes of body: the gateway had committed its 200 (no other target would be tried) but the client read not a
 * byte — no head, no keep-alive — until the first token; an idle timer in front of the client (a proxy's 60 s) cut such a
 * request for the whole prefill. Now the client has its head at once and each comment as a comment (which every SSE
 * reader skips), as an OpenAI client does through the other translation and straight from the backend.
 */
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, useGateway, ONE_BACKEND_PROFILE } from '../helpers/gateway.js';
import { useServer } from '../helpers/upstream.js';

let go: () => void = () => {};
const chunk = (o: object) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', ...o })}\n\n`;
const url = await useServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    // Keep-alive comments until the test lets the answer begin; or Azure's opening chunk of filter results alone.
    const filterFirst = req.headers['x-first'] === 'filter';
    const ping = setInterval(() => filterFirst || res.write(': ping\n\n'), 20);
    res.write(filterFirst ? chunk({ id: '', model: '', choices: [], prompt_filter_results: [{ prompt_index: 0 }] }) : ': ping\n\n');
    go = () => {
      clearInterval(ping);
      res.end(
        chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Hello' }, finish_reason: null }] }) +
          chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
          chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } }) +
          'data: [DONE]\n\n',
      );
    };
    res.on('close', () => clearInterval(ping));
  });
});
const gw = await useGateway(ONE_BACKEND_PROFILE, { b: url });

const BODY = JSON.stringify({ model: 'm', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] });

describe('an Anthropic client reading an OpenAI stream that begins with keep-alive comments', () => {
  it('has its head and the comments before the first chunk, then the whole answer', async () => {
    let status = 0;
    let body = '';
    let ended = false;
    const rq = request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    });
    rq.on('response', (res) => {
      status = res.statusCode!;
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (ended = true));
    });
    rq.end(BODY);
    // While the backend only pings: the head, and a keep-alive the client can see.
    await eventually(() => status !== 0 && body.length > 0, 3000);
    expect(status).toBe(200);
    expect(body).toMatch(/^: ping\n\n/);
    go();
    await eventually(() => ended, 5000);
    expect(body).toContain('event: message_start');
    expect(body).toContain('"text":"Hello"');
    expect(body).toContain('event: message_stop');
  });

  it('has its head at once when the first chunk makes nothing for it (Azure opens with filter results alone)', async () => {
    let status = 0;
    let body = '';
    let ended = false;
    const rq = request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-first': 'filter' },
    });
    rq.on('response', (res) => {
      status = res.statusCode!;
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (ended = true));
    });
    rq.end(BODY);
    await eventually(() => status !== 0, 3000);
    expect(status).toBe(200);
    go();
    await eventually(() => ended, 5000);
    expect(body).toMatch(/^event: message_start/);
    expect(body).toContain('event: message_stop');
  });

  it('is read by the Anthropic SDK as the whole answer', async () => {
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'none', maxRetries: 0 });
    const stream = client.messages.stream({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    // The backend is let go once the client has its head.
    let connected = false;
    stream.on('connect', () => {
      connected = true;
      go();
    });
    await eventually(() => connected, 3000);
    const message = await stream.finalMessage();
    expect(message.content.map((b) => (b.type === 'text' ? b.text : b.type))).toEqual(['Hello']);
  });
});
