/**
 * `--api anthropic` against a stream whose text block opens with text in `content_block_start` (a translator that puts
 * its first delta there): @anthropic-ai/sdk keeps a block's starting text (MessageStream accumulates the block as it
 * starts, then its deltas), so its client has the answer whole; the bench read text from `text_delta`s alone, and `long`
 * counted the whole answer corrupted — one of `long.truncations`. The starting text is read now, as the SDK reads it.
 */
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

const ev = (name: string, o: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...o })}\n\n`;

describe('--api anthropic: text in content_block_start', () => {
  it('counts a whole answer whole', async () => {
    const up = await useUpstream((_q, res, body) => {
      const j = JSON.parse(body) as { messages: { role: string; content: string }[]; max_tokens: number; stream?: boolean };
      const text = generateText(chatPromptKey(j.messages), undefined, j.max_tokens);
      const usage = { input_tokens: 5, output_tokens: j.max_tokens };
      if (!j.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(
          JSON.stringify({
            type: 'message',
            id: 'm',
            role: 'assistant',
            model: 'm',
            content: [{ type: 'text', text }],
            stop_reason: 'max_tokens',
            usage,
          }),
        );
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const head = text.slice(0, 12);
      res.end(
        ev('message_start', {
          message: { id: 'm', type: 'message', role: 'assistant', model: 'm', content: [], usage: { input_tokens: 5, output_tokens: 0 } },
        }) +
          ev('content_block_start', { index: 0, content_block: { type: 'text', text: head } }) +
          ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: text.slice(12) } }) +
          ev('content_block_stop', { index: 0 }) +
          ev('message_delta', { delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: j.max_tokens } }) +
          ev('message_stop', {}),
      );
    });
    const r = await long(
      benchContext({ url: up.url, mocks: {} }, { api: 'anthropic', durationMs: 100, drainMs: 5000, connections: 1, longSizes: [4096] }),
    );
    expect(r.lines.join('\n')).not.toMatch(/corrupted|truncated at/);
    expect(r.figures['long.truncations']).toBe(0);
  });
});
