/**
 * Property-based tests of the translators (fast-check): the round trip OpenAI → Anthropic → OpenAI keeps
 * every field the README's mapping table says it keeps; a stream cut into arbitrary events translates to
 * what the same answer translates to unstreamed; and no input — however hostile — makes a translator throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SseEvent } from '../../../src/openai/sse.js';
import { messagesToChat } from '../../../src/translate/anthropic-openai.js';
import { chatToMessage } from '../../../src/translate/anthropic-openai-response.js';
import { ChatToMessagesStream } from '../../../src/translate/anthropic-openai-stream.js';
import { chatToMessages, DEFAULT_MAX_TOKENS } from '../../../src/translate/openai-anthropic.js';
import { messageToChat } from '../../../src/translate/openai-anthropic-response.js';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import { anthropicToolId } from '../../../src/translate/mapping.js';
import { foldChat, foldMessage } from '../../helpers/sse-accumulate.js';

type Json = Record<string, unknown>;
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg==';
const RUNS = { numRuns: 300 };

const text = fc.string({ unit: 'binary', maxLength: 24 });
const nonEmpty = fc.string({ unit: 'binary', minLength: 1, maxLength: 24 });
const key = fc.stringMatching(/^[a-z_]{1,6}$/);
const jsonObject = fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }) as fc.Arbitrary<Json>;
const id = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
const imageUrl = fc.oneof(fc.constant(`data:image/png;base64,${PNG}`), fc.webUrl({ validSchemes: ['https', 'http'] }));
const textPart = text.map((t) => ({ type: 'text', text: t }));

const userMsg = fc.oneof(
  text.map((t) => ({ role: 'user', content: t })),
  fc
    .array(
      fc.oneof(
        textPart,
        imageUrl.map((url) => ({ type: 'image_url', image_url: { url } })),
      ),
      { minLength: 1, maxLength: 4 },
    )
    .map((content) => ({ role: 'user', content })),
);
const systemMsg = fc.record({
  role: fc.constantFrom('system', 'developer'),
  content: fc.oneof(text, fc.array(textPart, { minLength: 1, maxLength: 3 })),
});
const toolCall = fc.record({
  id,
  type: fc.constant('function'),
  function: fc.record({ name: nonEmpty, arguments: jsonObject.map((o) => JSON.stringify(o)) }),
});
const assistantMsg = fc.record(
  { role: fc.constant('assistant'), content: fc.option(text), tool_calls: fc.array(toolCall, { minLength: 1, maxLength: 3 }) },
  { requiredKeys: ['role'] },
);
const toolMsg = fc.record({ role: fc.constant('tool'), tool_call_id: id, content: fc.oneof(text, fc.array(textPart, { maxLength: 3 })) });
const messages = fc
  .array(fc.oneof(userMsg, systemMsg, assistantMsg, toolMsg), { minLength: 1, maxLength: 8 })
  // At least one message the translation sends: an assistant turn that said nothing (no text, no call) is left out.
  .filter((ms) =>
    ms.some(
      (m) =>
        m.role !== 'system' &&
        m.role !== 'developer' &&
        !(m.role === 'assistant' && !(typeof m.content === 'string' && m.content.trim()) && !('tool_calls' in m && m.tool_calls?.length)),
    ),
  );

const tool = fc.record(
  {
    type: fc.constant('function'),
    function: fc.record({ name: nonEmpty, description: text, parameters: jsonObject }, { requiredKeys: ['name'] }),
  },
  { requiredKeys: ['type', 'function'] },
);
const chatRequest = fc.record(
  {
    model: nonEmpty,
    messages,
    max_tokens: fc.integer({ min: 1, max: 1_000_000 }),
    max_completion_tokens: fc.integer({ min: 1, max: 1_000_000 }),
    stop: fc.oneof(text, fc.array(text, { maxLength: 4 })),
    temperature: fc.double({ min: 0, max: 1, noNaN: true }),
    top_p: fc.double({ min: 0, max: 1, noNaN: true }),
    stream: fc.boolean(),
    stream_options: fc.record({ include_usage: fc.boolean() }),
    tools: fc.array(tool, { minLength: 1, maxLength: 3 }),
    tool_choice: fc.oneof(
      fc.constantFrom('auto', 'none', 'required'),
      nonEmpty.map((name) => ({ type: 'function', function: { name } })),
    ),
    parallel_tool_calls: fc.boolean(),
    user: text,
  },
  { requiredKeys: ['model', 'messages'] },
) as fc.Arbitrary<Json>;

const joined = (c: unknown): string => (typeof c === 'string' ? c : (c as { text?: string }[]).map((p) => p.text ?? '').join(''));

/** The request as the mapping table says it comes back: what is kept, in the shape it is kept in. */
function expectedRoundTrip(req: Json): Json {
  const ms = req.messages as Json[];
  // Several system messages come back as one, of text parts (chat templates take one).
  // An empty one, or one of whitespace alone, is left out (Anthropic refuses such a text block).
  const texts = ms
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => joined(m.content))
    .filter((t) => t.trim() !== '');
  const system =
    texts.length === 0 ? [] : [{ role: 'system', content: texts.length === 1 ? texts[0] : texts.map((text) => ({ type: 'text', text })) }];
  // An id a later message's call uses again is named apart there (Anthropic refuses repeated tool_use ids); a tool
  // message answers its id's latest call.
  const latest = new Map<string, { named: string; turn: number }>();
  const callId = (id: string, turn: number): string => {
    const before = latest.get(id);
    if (before?.turn === turn) return before.named;
    const named = before ? anthropicToolId(`${id}\u0000${turn}`) : id;
    latest.set(id, { named, turn });
    return named;
  };
  const rest = ms.flatMap((m, turn): Json[] => {
    if (m.role === 'system' || m.role === 'developer') return [];
    // A tool's text of whitespace alone goes as a tool_result without content (Anthropic refuses an empty text block).
    if (m.role === 'tool') {
      const content = joined(m.content);
      const id = m.tool_call_id as string;
      return [{ role: 'tool', tool_call_id: latest.get(id)?.named ?? id, content: content.trim() === '' ? '' : content }];
    }
    if (m.role === 'user') {
      if (typeof m.content === 'string') return [m];
      // A text part of whitespace alone (or empty) joins the text before it, else the next one, else is left out.
      const parts: Json[] = [];
      let blank = '';
      for (const p of m.content as Json[]) {
        const last = parts.at(-1);
        if (p.type !== 'text') parts.push(p);
        else if ((p.text as string).trim() !== '') {
          parts.push({ ...p, text: blank + (p.text as string) });
          blank = '';
        } else if (last?.type === 'text') parts[parts.length - 1] = { ...last, text: (last.text as string) + (p.text as string) };
        else blank += p.text as string;
      }
      return [{ role: 'user', content: parts.some((p) => p.type === 'image_url') ? parts : joined(parts) }];
    }
    const content = typeof m.content === 'string' ? m.content : '';
    const calls = (m.tool_calls as Json[] | undefined) ?? [];
    // A turn that said nothing (or whitespace alone) is left out: Anthropic refuses it.
    if (!calls.length) return content.trim() === '' ? [] : [{ role: 'assistant', content }];
    const toolCalls = calls.map((c) => {
      const fn = c.function as Json;
      return {
        id: callId(c.id as string, turn),
        type: 'function',
        function: { name: fn.name, arguments: JSON.stringify(JSON.parse(fn.arguments as string)) },
      };
    });
    // Whitespace alone beside calls is no text block (Anthropic refuses one): it comes back as no content.
    return [{ role: 'assistant', content: content.trim() === '' ? null : content, tool_calls: toolCalls }];
  });
  // A final assistant turn (a prefill) goes without its trailing whitespace (Anthropic refuses it, trust: prefill).
  const last = rest.at(-1);
  if (last?.role === 'assistant' && typeof last.content === 'string' && !last.tool_calls) {
    rest[rest.length - 1] = { ...last, content: last.content.trimEnd() };
  }
  // Instructions alone go as the one user turn (Anthropic refuses a request of no message): back as its text, joined.
  const messages = rest.length === 0 && texts.length ? [{ role: 'user', content: texts.join('') }] : [...system, ...rest];
  const out: Json = { model: 'back-model', messages };
  out.max_tokens = req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS;
  const stop = typeof req.stop === 'string' ? [req.stop] : (req.stop as string[] | undefined);
  // A stop of whitespace alone (or empty) is not sent: Anthropic refuses it, and the translation applies it (local-stop.ts).
  const sent = stop?.filter((s) => s.trim() !== '');
  if (sent?.length) out.stop = sent;
  if (req.temperature !== undefined) out.temperature = req.temperature;
  // top_p 1 cuts nothing and is left out (trust: Claude refuses it beside a temperature).
  if (req.top_p !== undefined && req.top_p !== 1) out.top_p = req.top_p;
  if (req.user) out.user = req.user;
  const tools = req.tools as Json[] | undefined;
  if (tools) {
    out.tools = tools.map((t) => {
      const fn = t.function as Json;
      const f: Json = { name: fn.name };
      if (fn.description !== undefined) f.description = fn.description;
      // Anthropic's input_schema must say type object: a schema without a type gets it (trust 122).
      const params = fn.parameters as Json | undefined;
      f.parameters =
        params === undefined ? { type: 'object', properties: {} } : Object.hasOwn(params, 'type') ? params : { type: 'object', ...params };
      return { type: 'function', function: f };
    });
    const choice = req.tool_choice ?? (req.parallel_tool_calls === false ? 'auto' : undefined);
    if (choice !== undefined) out.tool_choice = choice;
    if (req.parallel_tool_calls === false && choice !== 'none') out.parallel_tool_calls = false;
  }
  if (req.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  return JSON.parse(JSON.stringify(out)) as Json;
}

describe('round trip: OpenAI request → Anthropic → OpenAI keeps every field the mapping table keeps', () => {
  it('holds for arbitrary requests', () => {
    fc.assert(
      fc.property(chatRequest, (req) => {
        const there = chatToMessages(req, { model: 'claude-up' });
        if (!there.ok) throw new Error(`refused: ${there.error.message}`);
        const back = messagesToChat(JSON.parse(there.value.body), 'back-model');
        if (!back.ok) throw new Error(`refused on the way back: ${back.error.message}`);
        expect(JSON.parse(back.value.body)).toEqual(expectedRoundTrip(req));
      }),
      RUNS,
    );
  });
});

/** `s` cut at arbitrary code-unit offsets (surrogate pairs included: JSON carries the halves). */
function cut(s: string, at: number[]): string[] {
  const points = [...new Set(at.map((p) => p % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
}
const cuts = fc.array(fc.nat(), { maxLength: 5 });
const ev = (data: string | undefined, event?: string): SseEvent => ({
  event,
  data,
  id: undefined,
  comments: data === undefined ? ['ping'] : [],
});

describe('a stream cut into arbitrary events translates to what the unstreamed answer translates to', () => {
  const chatAnswer = fc.record({
    reasoning: text,
    content: text,
    calls: fc.array(fc.record({ id, name: nonEmpty, args: jsonObject, cuts }), { maxLength: 3 }),
    finish: fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter'),
    usage: fc.record({ prompt: fc.nat(100_000), completion: fc.nat(100_000), cached: fc.nat(100_000) }),
    cuts: fc.record({ reasoning: cuts, content: cuts }),
    pings: fc.boolean(),
  });

  it('OpenAI chunks → Anthropic events', () => {
    fc.assert(
      fc.property(chatAnswer, (a) => {
        const usage = {
          prompt_tokens: a.usage.prompt,
          completion_tokens: a.usage.completion,
          prompt_tokens_details: { cached_tokens: Math.min(a.usage.cached, a.usage.prompt) },
        };
        const calls = a.calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.args) } }));
        const message: Json = { role: 'assistant', content: a.content, reasoning_content: a.reasoning };
        if (calls.length) message.tool_calls = calls;
        const whole = chatToMessage({ id: 'c1', model: 'm1', choices: [{ message, finish_reason: a.finish }], usage });
        if (!whole.ok) throw new Error(whole.error.message);

        const head = '"id":"c1","object":"chat.completion.chunk","created":1,"model":"m1"';
        const chunk = (delta: Json, finish: string | null = null) =>
          ev(JSON.stringify({ ...JSON.parse(`{${head}}`), choices: [{ index: 0, delta, finish_reason: finish }] }));
        const events: SseEvent[] = [chunk({ role: 'assistant', content: '' })];
        for (const p of cut(a.reasoning, a.cuts.reasoning)) events.push(chunk({ reasoning_content: p }));
        for (const p of cut(a.content, a.cuts.content)) events.push(chunk({ content: p }));
        a.calls.forEach((c, i) => {
          const [first, ...more] = cut(JSON.stringify(c.args), c.cuts);
          events.push(chunk({ tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.name, arguments: first } }] }));
          for (const p of more) events.push(chunk({ tool_calls: [{ index: i, function: { arguments: p } }] }));
        });
        events.push(chunk({}, a.finish), ev(JSON.stringify({ ...JSON.parse(`{${head}}`), choices: [], usage })), ev('[DONE]'));
        const t = new ChatToMessagesStream('m1');
        let out = '';
        for (const e of events) {
          out += t.push(e) ?? '';
          if (a.pings) out += t.push(ev(undefined)) ?? '';
        }
        out += t.end() ?? '';
        const f = foldMessage(out);
        expect(f.stopped).toBe(true);
        const { content, stop_reason, stop_sequence, usage: u, id: mid, model } = JSON.parse(whole.value.body);
        expect({
          content: f.message.content,
          stop_reason: f.message.stop_reason,
          stop_sequence: f.message.stop_sequence,
          usage: f.message.usage,
        }).toEqual({
          content,
          stop_reason,
          stop_sequence,
          usage: u,
        });
        expect([f.message.id, f.message.model]).toEqual([mid, model]);
        expect(t.usage).toEqual(whole.value.usage);
      }),
      RUNS,
    );
  });

  const block = fc.oneof(
    fc.record({ type: fc.constant('text'), text, cuts }),
    fc.record({ type: fc.constant('thinking'), thinking: text, signature: id, cuts }),
    fc.record({ type: fc.constant('tool_use'), id, name: nonEmpty, input: jsonObject, cuts }),
  );
  const anthropicAnswer = fc.record({
    blocks: fc.array(block, { maxLength: 5 }),
    stop: fc.constantFrom('end_turn', 'max_tokens', 'stop_sequence', 'tool_use', 'refusal', 'pause_turn'),
    usage: fc.record({
      input_tokens: fc.nat(1e5),
      output_tokens: fc.nat(1e5),
      cache_read_input_tokens: fc.nat(1e5),
      cache_creation_input_tokens: fc.nat(1e5),
    }),
    pings: fc.boolean(),
    includeUsage: fc.boolean(),
  });

  it('Anthropic events → OpenAI chunks', () => {
    fc.assert(
      fc.property(anthropicAnswer, (a) => {
        const content = a.blocks.map(({ cuts: _c, ...b }) => b);
        const message = {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          model: 'claude',
          content,
          stop_reason: a.stop,
          stop_sequence: null,
          usage: a.usage,
        };
        const whole = messageToChat(message, 7);
        if (!whole.ok) throw new Error(whole.error.message);

        const e = (type: string, body: Json) => ev(JSON.stringify({ type, ...body }), type);
        const events = [
          e('message_start', { message: { ...message, content: [], stop_reason: null, usage: { ...a.usage, output_tokens: 1 } } }),
        ];
        a.blocks.forEach((b, index) => {
          if (b.type === 'text') {
            events.push(e('content_block_start', { index, content_block: { type: 'text', text: '' } }));
            for (const p of cut(b.text, b.cuts)) events.push(e('content_block_delta', { index, delta: { type: 'text_delta', text: p } }));
          } else if (b.type === 'thinking') {
            events.push(e('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }));
            for (const p of cut(b.thinking, b.cuts))
              events.push(e('content_block_delta', { index, delta: { type: 'thinking_delta', thinking: p } }));
            events.push(e('content_block_delta', { index, delta: { type: 'signature_delta', signature: b.signature } }));
          } else {
            events.push(e('content_block_start', { index, content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} } }));
            for (const p of cut(JSON.stringify(b.input), b.cuts))
              events.push(e('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: p } }));
          }
          events.push(e('content_block_stop', { index }));
        });
        events.push(
          e('message_delta', { delta: { stop_reason: a.stop, stop_sequence: null }, usage: { output_tokens: a.usage.output_tokens } }),
          e('message_stop', {}),
        );
        const t = new MessagesToChatStream({ requestModel: 'x', includeUsage: a.includeUsage, created: 7 });
        let out = '';
        for (const x of events) {
          out += t.push(x) ?? '';
          if (a.pings) out += t.push(e('ping', {})) ?? '';
        }
        out += t.end() ?? '';
        const f = foldChat(out);
        const c = JSON.parse(whole.value.body);
        const m = c.choices[0].message;
        expect(f.done).toBe(true);
        expect({ content: f.content, reasoning: f.reasoning, calls: f.toolCalls, finish: f.finish }).toEqual({
          content: m.content ?? '',
          reasoning: m.reasoning_content ?? '',
          calls: (m.tool_calls ?? []).map((tc: { id: string; function: { name: string; arguments: string } }) => ({
            id: tc.id,
            type: 'function',
            ...tc.function,
          })),
          finish: c.choices[0].finish_reason,
        });
        expect(f.usage).toEqual(a.includeUsage ? c.usage : undefined);
        expect(t.usage).toEqual(whole.value.usage);
      }),
      RUNS,
    );
  });
});

describe('hostile input gets an error value, never a throw', () => {
  const hostile = fc.oneof(
    fc.anything({ maxDepth: 4 }),
    fc.jsonValue({ maxDepth: 6 }),
    chatRequest.chain((r) => fc.record({ k: key, v: fc.anything({ maxDepth: 2 }) }).map(({ k, v }) => ({ ...r, [k]: v }))),
    chatRequest.map((r) => ({
      ...r,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:;base64,' } }, null] }],
    })),
  );

  it('request and answer translators', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        for (const r of [
          chatToMessages(input, { model: 'm' }),
          messagesToChat(input, 'm'),
          chatToMessage(input),
          messageToChat(input, 0),
        ]) {
          expect(typeof r.ok).toBe('boolean');
          if (!r.ok) expect(r.error.message.length).toBeLessThan(2000);
        }
      }),
      RUNS,
    );
  });

  const eventData = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
    fc.constantFrom(
      '[DONE]',
      '{"type":"message_start","message":{"id":"x","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":0}}}',
      '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"n","input":{}}}',
      '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{"}}',
      '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}',
      '{"type":"message_stop"}',
      '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"x"}}]}}]}',
      '{"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1}}',
      '{"error":{"message":"boom"}}',
    ),
  );
  const events = fc.array(
    fc.record({ event: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }), data: fc.option(eventData, { nil: undefined }) }),
    {
      maxLength: 12,
    },
  );

  it('stream translators: output is SSE with JSON data; after an end or an error, nothing more', () => {
    fc.assert(
      fc.property(events, fc.boolean(), (evs, failAtEnd) => {
        for (const t of [new ChatToMessagesStream('m'), new MessagesToChatStream({ requestModel: 'm', includeUsage: true, created: 0 })]) {
          let out = '';
          for (const e of evs) {
            const over = t.completed || t.error !== undefined;
            const o = t.push({ ...e, id: undefined, comments: e.data === undefined ? ['x'] : [] });
            if (over) expect(o).toBeUndefined();
            out += o ?? '';
          }
          out += (failAtEnd ? t.fail({ code: 'upstream_stream_error', message: 'cut' }) : t.end()) ?? '';
          expect(t.completed || t.error !== undefined).toBe(true);
          for (const block of out.split('\n\n').filter((b) => b && !b.startsWith(':'))) {
            const data = block
              .split('\n')
              .find((l) => l.startsWith('data: '))!
              .slice(6);
            if (data !== '[DONE]') expect(() => JSON.parse(data)).not.toThrow();
          }
        }
      }),
      RUNS,
    );
  });

  it('a 5 MiB prompt and a 1 MiB tool argument translate whole', () => {
    const big = 'é'.repeat(5 * 1024 * 1024);
    const r = chatToMessages({ model: 'm', messages: [{ role: 'user', content: big }] }, { model: 'u' });
    expect(r.ok && JSON.parse(r.value.body).messages[0].content.length).toBe(big.length);
    const args = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) });
    const a = chatToMessage({
      id: 'c',
      model: 'm',
      choices: [{ message: { tool_calls: [{ id: 't', function: { name: 'f', arguments: args } }] }, finish_reason: 'tool_calls' }],
    });
    expect(a.ok && JSON.parse(a.value.body).content[0].input.blob.length).toBe(1024 * 1024);
  });
});
