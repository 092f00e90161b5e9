/**
 * An event's data with blanks before its JSON (`data:  {…}`, `data:\t{…}`: the decoder takes one space away, as the SDKs'
 * do) is JSON all the same — openai-node parses it, and throws on an `error` in it; the load (exchange.ts) reads it so
 * too. The single-request client (long, sweep, accounting) looked for a `{` at its first character: a whole text and
 * then such an error event was `complete` in long, and such text events were no text at all (a whole answer "truncated").
 */
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

/** Answers each stream with the mocks' whole text; `frame` writes each event (`errorFrame` the error event). */
const target = (frame: (o: object) => string, error: boolean, errorFrame = frame) =>
  useServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      const body = JSON.parse(text) as { messages: { role: string; content: string }[]; max_tokens: number; stream?: boolean };
      const answer = generateText(chatPromptKey(body.messages), 11, body.max_tokens);
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices: [{ message: { content: answer } }] }));
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/event-stream' })
        .end(
          frame({ choices: [{ delta: { content: answer } }] }) +
            frame({ choices: [{ delta: {}, finish_reason: 'stop' }] }) +
            (error ? errorFrame({ error: { message: 'the upstream failed', code: 'upstream_error' } }) : '') +
            'data: [DONE]\n\n',
        );
    });
  });

const blanks = (o: object) => `data: \t ${JSON.stringify(o)}\n\n`;

describe('event data with blanks before its JSON', () => {
  it('is an error event in long when it carries an error', async () => {
    const url = await target(blanks, true);
    const r = await long(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [16 * 1024] }));
    expect(r.lines.join('\n')).toMatch(/16KiB stream\s+error upstream_error/);
  });

  it('is an error event after a whole text written plainly: not complete', async () => {
    const url = await target((o) => `data: ${JSON.stringify(o)}\n\n`, true, blanks);
    const r = await long(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [16 * 1024] }));
    expect(r.lines.join('\n')).toMatch(/16KiB stream\s+error upstream_error/);
  });

  it('is text in long', async () => {
    const url = await target(blanks, false);
    const r = await long(benchContext({ url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [16 * 1024] }));
    expect(r.lines.join('\n')).toMatch(/16KiB stream\s+complete/);
  });
});
