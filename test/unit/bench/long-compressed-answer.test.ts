/**
 * A target that compresses its answers unasked — the bench sends no `accept-encoding`, yet a gateway's gzip filter
 * (or a misconfigured proxy) answers `content-encoding: gzip` — gave `long` bytes that are no JSON and no events, and
 * the row read "truncated at N bytes" (N the compressed size): a buffer limit that was never there, set as
 * `long.truncatedAt`. The row now names the coding as the target's error, and no cut is read from it.
 */
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { long } from '../../../src/bench/long.js';
import { chatPromptKey, generateText } from '../../../src/mock/text.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

describe('long against a target answering gzip unasked', () => {
  it('is an error naming the coding, not a truncation', async () => {
    let asked: string | undefined;
    const up = await useUpstream((req, res, raw) => {
      asked = req.headers['accept-encoding'];
      const body = JSON.parse(raw) as { messages: { role: string; content: string }[]; max_tokens: number; stream?: boolean };
      const content = generateText(chatPromptKey(body.messages), 11, body.max_tokens);
      const plain = body.stream
        ? `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n` +
          `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`
        : JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
      const gz = gzipSync(plain);
      res
        .writeHead(200, {
          'content-type': body.stream ? 'text/event-stream' : 'application/json',
          'content-encoding': 'gzip',
          'content-length': gz.length,
        })
        .end(gz);
    });
    const r = await long(
      benchContext({ url: up.url, mocks: {} }, { durationMs: 100, drainMs: 5000, connections: 1, longSizes: [16 * 1024] }),
    );
    expect(asked).toBeUndefined();
    const lines = r.lines.join('\n');
    expect(lines).toMatch(/16KiB body\s+error: answered content-encoding gzip/);
    expect(lines).toMatch(/16KiB stream\s+error: answered content-encoding gzip/);
    // No cut counted; a size answered with an error is not measured whole either, so no 0 (long-envoy-refusal.test.ts).
    expect(r.figures['long.truncations']).toBeNull();
    expect(r.figures['long.truncatedAt']).toBeNull();
    expect(r.figures['long.errors']).toBe(2);
  });
});
