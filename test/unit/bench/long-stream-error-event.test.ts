/**
 * A stream that carries its whole text and then an error event (a gateway's failure after the last token, written as the
 * final SSE frame) is a failed answer to the client: openai-node throws on an event with `error`. `long` (and sweep)
 * read only the text and the [DONE]: such a stream was `complete`, and sweep proved the size with it.
 */
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { sweep } from '../../../src/bench/sweep.js';
import { chatPromptKey, generateText, MEAN_TOKEN_BYTES } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

const ev = (o: object) => `data: ${JSON.stringify(o)}\n\n`;

/** Answers each stream with the mocks' whole text for it, then an error event and [DONE]. */
async function wholeThenError(seed: number | undefined): Promise<string> {
  return useServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const body = JSON.parse(text) as { messages: { role: string; content: string }[]; max_tokens: number; stream?: boolean };
      const answer = generateText(chatPromptKey(body.messages), seed, body.max_tokens);
      if (!body.stream) {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content: answer } }] }));
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          ev({ choices: [{ delta: { content: answer } }] }) +
            ev({ error: { message: 'the upstream failed', type: 'server_error', code: 'upstream_error' } }) +
            'data: [DONE]\n\n',
        );
    });
  });
}

describe('a stream whose text is whole but ends with an error event', () => {
  it('is an error in long, not complete', async () => {
    const url = await wholeThenError(11);
    const r = await long(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [64 * 1024] }));
    const lines = r.lines.join('\n');
    expect(lines).toMatch(/64KiB body\s+complete/);
    expect(lines).toMatch(/64KiB stream\s+error upstream_error/);
    expect(r.figures['long.errors']).toBe(1);
  });

  it('does not prove a stream size in sweep', async () => {
    const url = await wholeThenError(undefined);
    const size = 64 * 1024;
    expect(Math.ceil(size / MEAN_TOKEN_BYTES)).toBeGreaterThan(0);
    const r = await sweep(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [size] }));
    expect(r.figures['sweep.answerBytes']).toBe(size);
    expect(r.figures['sweep.streamBytes']).toBe(0);
    expect(r.lines.join('\n')).toMatch(/largest stream .* \(beyond: .*upstream_error/);
  });
});
