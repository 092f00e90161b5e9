/**
 * `sweep`'s request-body probe passed on `Array.isArray(choices)`: a 200 of `{"choices": []}` (or `[null]`, a choice
 * without a message) — no answer a client can read, which the load counts `invalid_body` — proved the size. A gateway
 * answering every request past 100 KiB so read `sweep.requestBytes` as the largest size tried.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { sweep } from '../../../src/bench/sweep.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

type Body = { messages: { role: string; content: string }[]; max_tokens: number; stream?: boolean };

function whole(body: Body, res: ServerResponse): void {
  const content = generateText(chatPromptKey(body.messages), undefined, body.max_tokens);
  if (body.stream) {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(`data: ${JSON.stringify({ choices: [{ delta: { content }, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
  } else
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ choices: [{ message: { role: 'assistant', content } }] }));
}

describe('sweep against a target answering large requests with no choice to read', () => {
  it.each([
    ['choices: []', []],
    ['choices: [null]', [null]],
    ['a choice without a message', [{ index: 0, finish_reason: 'stop' }]],
  ])('does not prove a request size answered with %s', async (_name, choices) => {
    const up = await useUpstream((_q, res, raw) => {
      if (raw.length > 100 * 1024) return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ choices }));
      whole(JSON.parse(raw) as Body, res);
    });
    const r = await sweep(benchContext({ url: up.url, mocks: {} }, { durationMs: 100, drainMs: 5000, longSizes: [256 * 1024] }));
    expect(r.figures['sweep.requestBytes']).toBeGreaterThanOrEqual(64 * 1024);
    expect(r.figures['sweep.requestBytes']).toBeLessThan(100 * 1024);
    expect(r.lines.join('\n')).toMatch(/largest request body .*\(beyond: a 200 without a choice to read\)/);
  });
});
