/**
 * Anthropic backend → OpenAI client, a tool_use block's opening input. MessagesToChatStream holds it until the block
 * closes (it goes out only if no input_json_delta came: the SDK reads the deltas instead) — one block's at most: a
 * backend that opened 16 tool_use blocks with 8 MiB inputs and closed none made one stream hold 129 MiB (128 × an
 * event at MAX_OPEN_TOOLS). A held input now goes out when another tool_use block opens, and the calls opened while
 * an earlier one is open are held up to limits.maxEventBytes, then the stream ends with an error. And the SDK reads an
 * input_json_delta whose partial_json is "" as the input being `{}` (`jsonBuf ? partialParse(jsonBuf) : {}`): the
 * translator ignored it and sent the opening input.
 */
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { anthropicEvent as ev, messageStart } from '../helpers/anthropic-sse.js';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'sk-tenant-trust-tool-start';
const BLOCKS = 16;
const INPUT_CHARS = 8 * 1024 * 1024;

const EMPTY_DELTA_STREAM =
  messageStart({ input_tokens: 5, output_tokens: 1 }) +
  ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } } }) +
  ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '' } }) +
  ev('content_block_stop', { index: 0 }) +
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 5 } }) +
  ev('message_stop', {});

const up = await useUpstream((_req, res, body) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  if (!body.includes('many')) return void res.end(EMPTY_DELTA_STREAM);
  res.write(messageStart({ input_tokens: 5, output_tokens: 1 }));
  const big = 'x'.repeat(INPUT_CHARS);
  let i = 0;
  const pump = (): void => {
    while (i < BLOCKS) {
      const e = ev('content_block_start', {
        index: i,
        content_block: { type: 'tool_use', id: `toolu_${i}`, name: 'f', input: { x: big } },
      });
      i++;
      if (!res.write(e)) return void res.once('drain', pump);
    }
    // Nothing closes: the stream is held open.
  };
  pump();
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic' }), { u: up.url });

/**
 * A streamed chat request whose answer is read and dropped (a client's buffer is not the gateway's); `received`
 * resolves once `bytes` came, `stop` ends it.
 */
function streamAndDrop(bytes: number): { received: Promise<void>; ended: Promise<string>; stop: () => Promise<void> } {
  const body = JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'many' }], stream: true });
  const req = request(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
  });
  const closed = new Promise<void>((resolve) => req.on('close', resolve));
  req.on('error', () => {});
  let got = 0;
  let tail = '';
  let ended: (tail: string) => void = () => {};
  const received = new Promise<void>((resolve) =>
    req.on('response', (res) => {
      res.on('data', (d: Buffer) => {
        got += d.length;
        tail = (tail + d.toString('latin1')).slice(-4096);
        if (got >= bytes) resolve();
      });
      res.on('end', () => ended(tail));
    }),
  );
  req.end(body);
  return {
    received,
    ended: new Promise<string>((r) => (ended = r)),
    stop: () => {
      req.destroy();
      return closed;
    },
  };
}

describe("a tool_use block's opening input, held until the block closes", () => {
  it(`one stream, ${BLOCKS} open tool_use blocks of an ${INPUT_CHARS / 2 ** 20} MiB input each: holds limits.maxEventBytes at most, not all`, async () => {
    await new Promise((r) => setTimeout(r, 200));
    gc();
    gc();
    const m0 = process.memoryUsage();
    // The first block's input goes out as the second opens; the calls opened while an earlier one is open are held (an
    // OpenAI client takes a call as done when a chunk names another) — limits.maxEventBytes of them (16 Mi characters),
    // then the error frame: the stream ends rather than hold every block (129 MiB measured before any bound).
    const answer = streamAndDrop(BLOCKS * INPUT_CHARS);
    const tail = await Promise.race([answer.ended, new Promise<string>((r) => setTimeout(r, 60_000, 'not ended'))]);
    expect(tail).toContain('"code":"bad_upstream_response"');
    expect(tail).toContain('tool calls sent while an earlier call was open');
    // Nothing of the stream stays behind it (what the gateway still has to free settles within the loop).
    let grew = Number.POSITIVE_INFINITY;
    for (const until = Date.now() + 30_000; grew >= 4 * INPUT_CHARS && Date.now() < until; ) {
      await new Promise((r) => setTimeout(r, 500));
      gc();
      const m1 = process.memoryUsage();
      grew = m1.heapUsed + m1.arrayBuffers - m0.heapUsed - m0.arrayBuffers;
    }
    await answer.stop();
    expect(grew).toBeLessThan(4 * INPUT_CHARS);
  }, 120_000);

  it('an empty input_json_delta: the SDK reads the input {}, the OpenAI client gets the same', async () => {
    const direct = new Anthropic({ baseURL: up.url, apiKey: 'x', maxRetries: 0 });
    const m = await direct.messages.stream({ model: 'c', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(m.content[0]).toMatchObject({ type: 'tool_use', input: {} });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: KEY, maxRetries: 0 });
    let args = '';
    const s = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }], stream: true });
    for await (const ch of s) args += ch.choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    expect(JSON.parse(args)).toEqual({});
  });
});
