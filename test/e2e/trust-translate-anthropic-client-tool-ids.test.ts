/**
 * Anthropic client → OpenAI backend, a tool call whose id Anthropic's API refuses. OpenAI-compatible servers write such
 * ids (Kimi K2 on vLLM names its calls `functions.get_weather:0`), and the translation gave them to the Anthropic client
 * as its tool_use ids. The client sends its history back with the next turn; answered by an Anthropic backend (another
 * target, a fallback), the bytes pass through and Anthropic refuses the id ("tool_use.id: String should match pattern
 * '^[a-zA-Z0-9_-]+$'"): every later turn of that conversation was a 400. The client is given an id Anthropic takes,
 * streamed or not; an id it takes is kept as it came. And the next turn sent to the OpenAI backend carries the id that
 * backend wrote (Kimi K2's chat template renders them back to the model, which copies the form of the ids it is shown).
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useStrictAnthropic, useUpstream } from '../helpers/upstream.js';
import { useGateway } from '../helpers/gateway.js';

const ID_PATTERN = /^[a-zA-Z0-9_-]+$/;
const KIMI_ID = 'functions.get_weather:0';

/** An OpenAI backend whose answer is one call of get_weather with id `callId`. */
const kimi = (callId: string) =>
  useUpstream((_req, res, body) => {
    const call = { id: callId, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };
    if (JSON.parse(body).stream === true) {
      const chunk = (o: object) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'kimi', ...o })}\n\n`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(
        chunk({ choices: [{ index: 0, delta: { role: 'assistant', tool_calls: [{ index: 0, ...call }] }, finish_reason: null }] }) +
          chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) +
          chunk({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } }) +
          'data: [DONE]\n\n',
      );
      return;
    }
    const answer = {
      id: 'chatcmpl-1',
      object: 'chat.completion',
      created: 1,
      model: 'kimi',
      choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: [call] }, finish_reason: 'tool_calls' }],
      usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
    };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  });

const up = await kimi(KIMI_ID);
const plain = await kimi('call_abc-1');
/** Refuses as Anthropic does a tool_use or tool_result id out of its pattern. */
const claude = await useStrictAnthropic((blocks) =>
  blocks.some((b) => {
    const id = b.type === 'tool_use' ? b.id : b.type === 'tool_result' ? b.tool_use_id : undefined;
    return id !== undefined && !ID_PATTERN.test(id);
  })
    ? `tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'`
    : undefined,
);
const gw = await useGateway(
  `
version: 1
backends:
  kimi: { url: "{{kimi}}" }
  plain: { url: "{{plain}}" }
  claude: { url: "{{claude}}", kind: anthropic }
models:
  kimi: { targets: [{ backend: kimi }] }
  plain: { targets: [{ backend: plain }] }
  claude: { targets: [{ backend: claude }] }
`,
  { kimi: up.url, plain: plain.url, claude: claude.url },
);
const client = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
const ask = { role: 'user' as const, content: 'Weather in Paris?' };
const tools = [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
/** The answer of `model` to the first turn, streamed or not. */
const firstTurn = (model: string, stream: boolean) => {
  const params = { model, max_tokens: 50, messages: [ask], tools };
  return stream ? client.messages.stream(params).finalMessage() : client.messages.create(params);
};
/** The next turn to `model`: the answer `m`, then the result of its call `id`. */
const nextTurn = (model: string, m: Anthropic.Message, id: string) =>
  client.messages.create({
    model,
    max_tokens: 50,
    tools,
    messages: [
      ask,
      { role: 'assistant', content: m.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: id, content: '21°C' }] },
    ],
  });

describe('a tool call id Anthropic refuses, from an OpenAI backend to an Anthropic client', () => {
  it.each([false, true])(
    'the client gets an id Anthropic takes, and its next turn on an Anthropic backend is answered (streamed: %s)',
    async (stream) => {
      const m = await firstTurn('kimi', stream);
      const use = m.content.find((b) => b.type === 'tool_use');
      expect(use?.type === 'tool_use' && use.input).toEqual({ city: 'Paris' });
      const id = use?.type === 'tool_use' ? use.id : '';
      expect(id).toMatch(ID_PATTERN);
      const next = await nextTurn('claude', m, id);
      expect(next.content).toEqual([{ type: 'text', text: 'Sunny.' }]);
    },
  );

  it.each([false, true])('its next turn on the OpenAI backend carries the id that backend wrote (streamed: %s)', async (stream) => {
    const m = await firstTurn('kimi', stream);
    const use = m.content.find((b) => b.type === 'tool_use');
    const before = up.seen.length;
    await nextTurn('kimi', m, use?.type === 'tool_use' ? use.id : '');
    const sent = JSON.parse(up.seen[before]!.body) as {
      messages: { role: string; tool_calls?: { id: string }[]; tool_call_id?: string }[];
    };
    expect(sent.messages.find((x) => x.role === 'assistant')?.tool_calls?.map((c) => c.id)).toEqual([KIMI_ID]);
    expect(sent.messages.find((x) => x.role === 'tool')?.tool_call_id).toBe(KIMI_ID);
  });

  it('an id of the encoded form that the gateway did not make is sent as it came', async () => {
    const before = up.seen.length;
    const forged = 'toolu_aigw64_not*base64';
    await client.messages.create({
      model: 'kimi',
      max_tokens: 50,
      tools,
      messages: [
        ask,
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_aigw64_QUJD', name: 'get_weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_aigw64_QUJD', content: '21°C' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: forged, name: 'get_weather', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: forged, content: '22°C' }] },
      ],
    });
    const sent = JSON.parse(up.seen[before]!.body) as { messages: { role: string; tool_calls?: { id: string }[] }[] };
    // QUJD decodes to ABC, an id Anthropic takes, so the gateway never encodes it: sent as the client wrote it.
    expect(sent.messages.flatMap((x) => x.tool_calls?.map((c) => c.id) ?? [])).toEqual(['toolu_aigw64_QUJD', forged]);
  });

  it.each([false, true])('an id Anthropic takes is kept as it came (streamed: %s)', async (stream) => {
    const m = await firstTurn('plain', stream);
    expect(m.content.flatMap((b) => (b.type === 'tool_use' ? [b.id] : []))).toEqual(['call_abc-1']);
  });
});
