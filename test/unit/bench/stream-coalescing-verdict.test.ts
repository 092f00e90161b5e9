/**
 * `stream.coalesced==0` is the README's gate for a path that holds stream events back. It passed three targets that
 * hold back the whole stream: one that sends its head with every event in one write once the answer is over (a
 * proxy buffering the answer whole — each read was timed from the head that came with it, so no event was held);
 * one that sends the text as one event (a "fake stream" of a buffered answer: under 4 events a stream is not judged,
 * and 0 of 0 judged read 0); and one whose every stream failed (0 of 0 completed read 0).
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { evaluate, parseAssertion } from '../../../src/bench/assertions.js';
import { streamScenario } from '../../../src/bench/stream.js';
import { chatPromptKey, TokenSource, textSeed } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

interface Asked {
  messages: { role: string; content: string }[];
  max_tokens: number;
  seed?: number;
}

/** The events of the answer the mocks would give (their text, a finish and usage, [DONE]), one string each. */
function events(body: Asked): string[] {
  const src = new TokenSource(textSeed(chatPromptKey(body.messages), body.seed));
  const out: string[] = [];
  for (let i = 0; i < body.max_tokens; i++)
    out.push(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: src.next().toString() } }] })}\n\n`);
  const usage = { prompt_tokens: 3, completion_tokens: body.max_tokens };
  out.push(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage })}\n\n`, 'data: [DONE]\n\n');
  return out;
}

/** A target that reads each request and answers with `answer`. */
const target = (answer: (res: ServerResponse, body: Asked) => void) =>
  useServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => answer(res, JSON.parse(text) as Asked));
  });

const SSE = { 'content-type': 'text/event-stream' };
const gate = parseAssertion('stream.coalesced==0');
if (!gate.ok) throw new Error(gate.message);

describe('stream.coalesced against a target that holds the whole stream back', () => {
  it('counts a stream whose head and every event came in one write after the answer was over', async () => {
    const url = await target((res, body) => {
      setTimeout(() => {
        // Head and body in one write, as a proxy that buffered the whole answer sends them.
        res.socket?.cork();
        res.writeHead(200, SSE).end(events(body).join(''));
        res.socket?.uncork();
      }, 60);
    });
    const r = await streamScenario(benchContext({ url, mocks: {} }, { durationMs: 300, connections: 2 }));
    expect(r.figures['stream.completed']).toBeGreaterThan(0);
    expect(r.figures['stream.coalesced']).toBe(r.figures['stream.completed']);
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
  });

  it('has no figure when every stream failed: 0 of 0 is no verdict', async () => {
    const url = await target((res) =>
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"down","code":"boom"}}'),
    );
    const r = await streamScenario(benchContext({ url, mocks: {} }, { durationMs: 100, connections: 1 }));
    expect(r.figures['stream.completed']).toBe(0);
    expect(r.figures['stream.coalesced']).toBeNull();
    expect(r.figures['stream.corrupted']).toBeNull();
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
  });

  it('has no figure when every stream came as one event (too few to judge)', async () => {
    const url = await target((res, body) => {
      const all = events(body);
      const text = all
        .slice(0, body.max_tokens)
        .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta: { content: string } }[] }).choices[0]!.delta.content)
        .join('');
      const one = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text } }] })}\n\n`;
      res.writeHead(200, SSE).end([one, ...all.slice(body.max_tokens)].join(''));
    });
    const r = await streamScenario(benchContext({ url, mocks: {} }, { durationMs: 100, connections: 1 }));
    expect(r.figures['stream.completed']).toBeGreaterThan(0);
    expect(r.figures['stream.coalesced']).toBeNull();
    expect(evaluate(gate.value, r.figures).ok).toBe(false);
    expect(r.lines.join('\n')).toMatch(/no stream had 4 content events or more/);
  });

  it('still reads a stream whose head waits for its first event, then one event a write, as not coalesced', async () => {
    const url = await target((res, body) => {
      const all = events(body);
      let i = 0;
      const next = () => {
        if (i === 0) res.writeHead(200, SSE);
        if (i < all.length) res.write(all[i++]!);
        if (i < all.length) setTimeout(next, 2);
        else res.end();
      };
      // Its first token after 40 ms, written with the head (as aigw writes a stream's head with its first event).
      setTimeout(next, 40);
    });
    const r = await streamScenario(benchContext({ url, mocks: {} }, { durationMs: 300, connections: 2 }));
    expect(r.figures['stream.completed']).toBeGreaterThan(0);
    expect(r.figures['stream.coalesced']).toBe(0);
    expect(evaluate(gate.value, r.figures).ok).toBe(true);
  });
});
