/**
 * A stream that ends with [DONE] having said nothing and finished nothing — `data: [DONE]` alone, or after a role or
 * usage chunk (an Anthropic message_start and message_stop with nothing between) — is no answer, as empty as a stream
 * that closed with nothing. The load counted it completed (`ok`, 0 tokens): a target answering every request so passed
 * `errors<0.1%`. Now it is `200 incomplete_stream`; a stream that ends with a finish reason and no text (a tool call's
 * answer) is still an answer. The single-request client (long, sweep, accounting) counted it so in the live view too.
 */
import { describe, expect, it } from 'vitest';
import { stream } from '../../../src/bench/client.js';
import { anthropicEvent, messageStart } from '../../helpers/anthropic-sse.js';
import { benchContext } from '../../helpers/bench-context.js';
import { loadReads, streamTarget } from '../../helpers/bench-stream.js';

const chunk = (o: object) => `data: ${JSON.stringify(o)}\n\n`;
const DONE = 'data: [DONE]\n\n';
const role = chunk({ choices: [{ index: 0, delta: { role: 'assistant' }, finish_reason: null }] });
const usage = chunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 0 } });

describe('a stream with nothing said or finished is no answer (load)', () => {
  it.each([
    ['[DONE] alone', DONE],
    ['a role chunk, then [DONE]', `${role}${DONE}`],
    ['a role chunk and usage, then [DONE]', `${role}${usage}${DONE}`],
    ['an empty content delta, then [DONE]', `${chunk({ choices: [{ index: 0, delta: { content: '' } }] })}${DONE}`],
  ])('%s: incomplete_stream', async (_name, events) => {
    expect(await loadReads(await streamTarget(events))).toMatchObject({ ok: false, status: 200, code: 'incomplete_stream' });
  });

  it('a finish reason without text (a tool call) is an answer; text without one is too (the controls)', async () => {
    const toolCall = chunk({
      choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: '{}' } }] } }],
    });
    const finished = chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
    expect(await loadReads(await streamTarget(`${role}${toolCall}${finished}${DONE}`))).toMatchObject({ ok: true });
    const text = chunk({ choices: [{ index: 0, delta: { content: 'Hi' } }] });
    expect(await loadReads(await streamTarget(`${text}${DONE}`))).toMatchObject({ ok: true, text: 'Hi' });
  });

  describe('--api anthropic', () => {
    const start = messageStart({ input_tokens: 3, output_tokens: 1 });
    const stop = anthropicEvent('message_stop', {});
    const finish = (reason: string) => anthropicEvent('message_delta', { delta: { stop_reason: reason }, usage: { output_tokens: 1 } });

    it('message_start and message_stop with nothing between: incomplete_stream', async () => {
      const r = await loadReads(await streamTarget(`${start}${stop}`), 'anthropic');
      expect(r).toMatchObject({ ok: false, code: 'incomplete_stream' });
    });

    it('a tool_use answer (no text, a stop_reason) is an answer', async () => {
      const r = await loadReads(await streamTarget(`${start}${finish('tool_use')}${stop}`), 'anthropic');
      expect(r).toMatchObject({ ok: true });
    });
  });
});

describe('the single-request client counts it so too (live view)', () => {
  /** The outcome `stream()` records for one streamed request to a target answering `events`. */
  async function recorded(events: string): Promise<{ ok: boolean; code?: string }> {
    const url = await streamTarget(events);
    const out: { ok: boolean; code?: string }[] = [];
    const ctx = benchContext({ url, mocks: {} }, { live: { record: (r: { ok: boolean; code?: string }) => out.push(r) } as never });
    await stream(ctx, { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }, { onEvent: () => {} });
    return out[0]!;
  }

  it('[DONE] alone: incomplete_stream; text then [DONE]: ok', async () => {
    expect(await recorded(`${role}${DONE}`)).toMatchObject({ ok: false, code: 'incomplete_stream' });
    expect(await recorded(`${chunk({ choices: [{ index: 0, delta: { content: 'Hi' } }] })}${DONE}`)).toMatchObject({ ok: true });
  });
});
