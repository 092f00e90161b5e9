/**
 * A tool_use input a translated Anthropic stream opens with, kept as the backend wrote it (trust 196), keeps nothing of
 * the event it was read from (attacker review). V8 makes a slice of 13 characters or more a view that keeps its whole
 * source alive, and the opening input is held until its block closes — a backend that never closes it, for as long as
 * the stream lasts: the event's whole text (up to limits.maxEventBytes), where its input is a few characters. Measured
 * here as heap: 16 streams whose tool call opened in an event of 2 MiB, each event dropped once read.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MessagesToChatStream } from '../../../src/translate/openai-anthropic-stream.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const STREAMS = 16;
const PAD = 2 * 1024 * 1024;
const usage = '"usage":{"input_tokens":1,"output_tokens":1}';
const message = (content: string) =>
  `{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[${content}],"stop_reason":null,${usage}}`;
const toolUse = (pad: string) =>
  `{"type":"tool_use","id":"toolu_1","name":"lookup","input":{"id":12345678901234567891,"q":"abcdefghijklmnop"}${pad}}`;

/** Heap still held, after collection, by STREAMS translators each fed the events `events(i)` makes (fresh texts). */
function heldBy(events: (i: number) => { event: string; data: string }[]): number {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: MessagesToChatStream[] = [];
  for (let i = 0; i < STREAMS; i++) {
    const t = new MessagesToChatStream({ requestModel: 'm', includeUsage: false, created: 1 });
    let out = '';
    for (const e of events(i)) out += t.push({ event: e.event, data: e.data, id: undefined, comments: [] }) ?? '';
    expect(out).toContain('"tool_calls"');
    kept.push(t);
  }
  gc();
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  expect(kept).toHaveLength(STREAMS);
  return grown;
}

describe("a tool call's opening input keeps nothing of the event it came in", () => {
  it('in message_start, beside 2 MiB of text', () => {
    const grown = heldBy((i) => [
      {
        event: 'message_start',
        data: `{"type":"message_start","message":${message(`{"type":"text","text":"${String(i).padStart(8, '0')}${'t'.repeat(PAD)}"},${toolUse('')}`)}}`,
      },
    ]);
    // Held, 16 × 2 MiB (33–36 MB measured); an input each is what should stay (V8 keeps ~2 MB of its own after
    // parsing 32 MiB of text, whoever holds what).
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });

  it('in content_block_start, beside 2 MiB of a member no one reads', () => {
    const grown = heldBy((i) => [
      { event: 'message_start', data: `{"type":"message_start","message":${message('')}}` },
      {
        event: 'content_block_start',
        data: `{"type":"content_block_start","index":0,"content_block":${toolUse(`,"x":"${String(i).padStart(8, '0')}${'p'.repeat(PAD)}"`)}}`,
      },
    ]);
    expect(grown).toBeLessThan(8 * 1024 * 1024);
  });
});
