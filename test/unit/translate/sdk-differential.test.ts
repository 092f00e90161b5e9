/**
 * The stream translators judged by the two SDKs against each other, on streams a backend may legally send: what the
 * backend's own SDK reads of its stream (Anthropic's messages.stream().finalMessage(), openai-node's
 * chat.completions.stream().finalChatCompletion()) is what the client's SDK reads of the translation — text (with
 * any character: NUL, quotes, astral, newlines), reasoning, each tool call's id, name and input however its JSON was
 * split, and usage with cache reads — whatever blocks, pings, split arguments and usage placement came.
 */
import Anthropic from '@anthropic-ai/sdk';
import fc from 'fast-check';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { ChatToMessagesStream } from '../../../src/translate/anthropic-openai-stream.js';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';
import { fuzzRuns } from '../../helpers/fuzz-runs.js';
import { translateBody } from '../../helpers/sse-accumulate.js';

/** Each case runs both SDKs over fetch: ~4 ms. */
const FUZZ = fuzzRuns(300, { msPerCase: 10, share: 0.01 });

const sse = (body: string) => async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } });
const ev = (type: string, o: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...o })}\n\n`;

/** Short texts of the characters escapes and UTF-16 make hard. */
const text = fc.string({ unit: fc.constantFrom('a', 'é', '😀', '\u0000', '"', '\\', '\n', 'x'), minLength: 0, maxLength: 6 });
/** `s` cut at `cuts` (taken modulo its length): the pieces a backend may stream it in, empty ones too. */
const split = (s: string, cuts: number[]) => {
  const pts = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const p of pts) {
    out.push(s.slice(prev, p));
    prev = p;
  }
  out.push(s.slice(prev));
  return out;
};
const block = fc.oneof(
  fc.record({ kind: fc.constant('text' as const), parts: fc.array(text, { maxLength: 4 }) }),
  fc.record({ kind: fc.constant('thinking' as const), parts: fc.array(text, { maxLength: 4 }) }),
  fc.record({
    kind: fc.constant('tool' as const),
    input: fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.integer(), text, fc.constant(null)), { maxKeys: 3 }),
    cuts: fc.array(fc.nat(), { maxLength: 4 }),
  }),
);

describe('Anthropic backend → OpenAI client: openai-node reads of the translation what the Anthropic SDK reads of the stream', () => {
  it(
    'text, tool calls and usage, for any blocks, pings and input splits',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(block, { maxLength: 5 }),
          fc.constantFrom('end_turn', 'tool_use', 'max_tokens', 'stop_sequence'),
          fc.boolean(),
          fc.nat({ max: 50 }),
          async (blocks, stop, pings, cache) => {
            let s = ev('message_start', {
              message: {
                id: 'msg',
                type: 'message',
                role: 'assistant',
                model: 'c',
                content: [],
                stop_reason: null,
                usage: { input_tokens: 5, output_tokens: 1, cache_read_input_tokens: cache },
              },
            });
            blocks.forEach((b, i) => {
              if (pings) s += ev('ping', {});
              if (b.kind === 'text') {
                s += ev('content_block_start', { index: i, content_block: { type: 'text', text: '' } });
                for (const p of b.parts) s += ev('content_block_delta', { index: i, delta: { type: 'text_delta', text: p } });
              } else if (b.kind === 'thinking') {
                s += ev('content_block_start', { index: i, content_block: { type: 'thinking', thinking: '', signature: '' } });
                for (const p of b.parts) s += ev('content_block_delta', { index: i, delta: { type: 'thinking_delta', thinking: p } });
                s += ev('content_block_delta', { index: i, delta: { type: 'signature_delta', signature: 'sig' } });
              } else {
                s += ev('content_block_start', { index: i, content_block: { type: 'tool_use', id: `toolu_${i}`, name: 'f', input: {} } });
                for (const p of split(JSON.stringify(b.input), b.cuts))
                  s += ev('content_block_delta', { index: i, delta: { type: 'input_json_delta', partial_json: p } });
              }
              s += ev('content_block_stop', { index: i });
            });
            s += ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 7 } });
            s += ev('message_stop', {});
            const a = await new Anthropic({ apiKey: 'k', baseURL: 'http://x.invalid', fetch: sse(s), maxRetries: 0 }).messages
              .stream({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'q' }] })
              .finalMessage();
            const t = new MessagesToChatStream({ requestModel: 'c', includeUsage: true, created: 1 });
            const out = translateBody(t, s);
            const o = await new OpenAI({ apiKey: 'k', baseURL: 'http://x.invalid', fetch: sse(out), maxRetries: 0 }).chat.completions
              .stream({ model: 'x', messages: [{ role: 'user', content: 'q' }] })
              .finalChatCompletion();
            const m = o.choices[0]!.message;
            const aText = a.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
            expect(m.content ?? '').toBe(aText);
            const aTools = a.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, input: b.input }] : []));
            expect(
              (m.tool_calls ?? []).map((c) => ({
                id: c.id,
                name: c.type === 'function' ? c.function.name : '',
                input: JSON.parse(c.type === 'function' ? c.function.arguments : ''),
              })),
            ).toEqual(aTools);
            expect(o.usage?.prompt_tokens).toBe(a.usage.input_tokens + (a.usage.cache_read_input_tokens ?? 0));
            expect(o.usage?.completion_tokens).toBe(a.usage.output_tokens);
          },
        ),
        { numRuns: FUZZ.runs },
      );
    },
    FUZZ.timeout,
  );
});

const chunk = (o: object) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'g', ...o })}\n\n`;
const part = fc.oneof(
  fc.record({ kind: fc.constant('content' as const), t: text }),
  fc.record({ kind: fc.constant('reasoning' as const), t: text }),
  fc.record({ kind: fc.constant('refusal' as const), t: text }),
);

describe('OpenAI backend → Anthropic client: the Anthropic SDK reads of the translation what openai-node reads of the stream', () => {
  it(
    'text (refusals as text), thinking, tool calls and usage, for any parts, argument splits and usage placement',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(part, { maxLength: 6 }),
          fc.array(
            fc.record({
              input: fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.integer(), text), { maxKeys: 3 }),
              cuts: fc.array(fc.nat(), { maxLength: 3 }),
            }),
            { maxLength: 3 },
          ),
          fc.constantFrom('stop', 'tool_calls', 'length'),
          fc.constantFrom('separate', 'infinish', 'none'),
          async (parts, calls, finish, usageAt) => {
            let s = chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
            for (const p of parts) {
              const delta =
                p.kind === 'content' ? { content: p.t } : p.kind === 'reasoning' ? { reasoning_content: p.t } : { refusal: p.t };
              s += chunk({ choices: [{ index: 0, delta, finish_reason: null }] });
            }
            calls.forEach((c, i) => {
              const pieces = split(JSON.stringify(c.input), c.cuts);
              pieces.forEach((p, k) => {
                const tc =
                  k === 0
                    ? { index: i, id: `call_${i}`, type: 'function', function: { name: 'f', arguments: p } }
                    : { index: i, function: { arguments: p } };
                s += chunk({ choices: [{ index: 0, delta: { tool_calls: [tc] }, finish_reason: null }] });
              });
            });
            const usage = { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13, prompt_tokens_details: { cached_tokens: 3 } };
            s += chunk({ choices: [{ index: 0, delta: {}, finish_reason: finish }], ...(usageAt === 'infinish' ? { usage } : {}) });
            if (usageAt === 'separate') s += chunk({ choices: [], usage });
            s += 'data: [DONE]\n\n';
            const o = await new OpenAI({ apiKey: 'k', baseURL: 'http://x.invalid', fetch: sse(s), maxRetries: 0 }).chat.completions
              .stream({ model: 'x', messages: [{ role: 'user', content: 'q' }] })
              .finalChatCompletion();
            const t = new ChatToMessagesStream('g');
            const out = translateBody(t, s);
            const a = await new Anthropic({ apiKey: 'k', baseURL: 'http://x.invalid', fetch: sse(out), maxRetries: 0 }).messages
              .stream({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'q' }] })
              .finalMessage();
            const m = o.choices[0]!.message;
            const aText = a.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
            expect(aText).toBe(anthropicText(parts, calls.length > 0));
            expect(a.content.flatMap((b) => (b.type === 'thinking' ? [b.thinking] : [])).join('')).toBe(
              parts
                .filter((p) => p.kind === 'reasoning')
                .map((p) => p.t)
                .join(''),
            );
            expect(m.content ?? '').toBe(
              parts
                .filter((p) => p.kind === 'content')
                .map((p) => p.t)
                .join(''),
            );
            const aTools = a.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, input: b.input }] : []));
            // Cut by the limit, the last call's arguments may end mid-JSON (Anthropic's max_tokens says so).
            if (finish !== 'length')
              expect(aTools).toEqual(
                (m.tool_calls ?? []).map((c) => ({
                  id: c.id,
                  name: c.type === 'function' ? c.function.name : '',
                  input: JSON.parse(c.type === 'function' ? c.function.arguments : ''),
                })),
              );
            if (usageAt !== 'none') {
              expect(a.usage.input_tokens + (a.usage.cache_read_input_tokens ?? 0)).toBe(9);
              expect(a.usage.output_tokens).toBe(4);
            }
          },
        ),
        { numRuns: FUZZ.runs },
      );
    },
    FUZZ.timeout,
  );
});

/**
 * The text the Anthropic SDK reads of the translation: the text parts (refusals too) joined, but for whitespace that would
 * open a text block when a tool call follows it — no text block for it (Anthropic refuses one sent back in a history).
 */
function anthropicText(parts: readonly { kind: string; t: string }[], calls: boolean): string {
  let out = '';
  let blank = '';
  let open = false;
  for (const p of parts) {
    if (p.t === '') continue;
    if (p.kind === 'reasoning') open = false;
    else if (open) out += p.t;
    else if (p.t.trim() === '') blank += p.t;
    else {
      out += blank + p.t;
      blank = '';
      open = true;
    }
  }
  return calls ? out : out + blank;
}

/** A tool call's delta as a backend may split it: name and arguments in any piece, the name repeated or empty. */
const callPiece = fc.record({
  index: fc.nat({ max: 2 }),
  name: fc.constantFrom('f', '', null),
  arguments: fc.constantFrom('{"a":1}', '{', '}', '"', '', null),
});
const hostileDelta = fc.record(
  {
    content: fc.constantFrom('a', '"', '', null),
    reasoning_content: fc.constantFrom('t', '', null),
    tool_calls: fc.array(callPiece, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);

describe('OpenAI backend → Anthropic client, streams no backend should send: a refusal, or what openai-node reads', () => {
  it(
    'calls interleaved, restarted, nameless or cut mid-JSON, usage in any chunk, finishes repeated or followed by content',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ d: hostileDelta, finish: fc.constantFrom(null, null, 'stop', 'tool_calls'), usage: fc.boolean() }), {
            maxLength: 6,
          }),
          async (chunks) => {
            let s = chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
            // The id comes with a call's first piece, as every backend sends it (a later id is not read: see the report).
            const started = new Set<number>();
            let finished = false;
            for (const c of chunks) {
              const delta: Record<string, unknown> = { ...c.d };
              if (c.d.tool_calls)
                delta.tool_calls = c.d.tool_calls.map((t) => {
                  const first = !started.has(t.index);
                  started.add(t.index);
                  const fn = { ...(t.name !== null ? { name: t.name } : {}), ...(t.arguments !== null ? { arguments: t.arguments } : {}) };
                  return { index: t.index, ...(first ? { id: `call_${t.index}`, type: 'function' } : {}), function: fn };
                });
              finished ||= c.finish !== null;
              const usage = c.usage ? { usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } } : {};
              s += chunk({ choices: [{ index: 0, delta, finish_reason: c.finish }], ...usage });
            }
            if (!finished) s += chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
            s += 'data: [DONE]\n\n';
            let o: OpenAI.ChatCompletion;
            try {
              o = await new OpenAI({ apiKey: 'k', baseURL: 'http://x.invalid', fetch: sse(s), maxRetries: 0 }).chat.completions
                .stream({ model: 'x', messages: [{ role: 'user', content: 'q' }] })
                .finalChatCompletion();
            } catch {
              return; // openai-node itself reads no answer (a call with no name or id before its arguments).
            }
            const t = new ChatToMessagesStream('g');
            const out = translateBody(t, s);
            if (t.error) return; // Refused: Anthropic's blocks cannot say it (an interleaved call, arguments no JSON object).
            const a = await new Anthropic({ apiKey: 'k', baseURL: 'http://x.invalid', fetch: sse(out), maxRetries: 0 }).messages
              .stream({ model: 'x', max_tokens: 10, messages: [{ role: 'user', content: 'q' }] })
              .finalMessage();
            const m = o.choices[0]!.message;
            expect(a.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('')).toBe(m.content ?? '');
            expect(a.content.flatMap((b) => (b.type === 'tool_use' ? [{ id: b.id, name: b.name, input: b.input }] : []))).toEqual(
              (m.tool_calls ?? []).map((c) => ({
                id: c.id,
                name: c.type === 'function' ? c.function.name : '',
                input: JSON.parse((c.type === 'function' ? c.function.arguments : '') || '{}'),
              })),
            );
          },
        ),
        { numRuns: FUZZ.runs },
      );
    },
    FUZZ.timeout,
  );
});
