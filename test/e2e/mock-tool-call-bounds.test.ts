/**
 * A tool call's answer stays small and is streamed with backpressure, on real sockets: a schema cannot make
 * the mock copy megabytes into the arguments (each 12-character fragment is a ~200-byte event), and a client
 * that stops reading holds only what the socket buffers, not the whole answer in the mock's memory.
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MockStats } from '../../src/mock/stats.js';
import { respondToolCall } from '../../src/mock/tool-call.js';
import { chat, postJson, useMock } from '../helpers/mocks.js';

const vllm = await useMock({ name: 'tools', kind: 'vllm' });
const BIG = 'y'.repeat(2 ** 20);
// max_tokens 1000: the whole call (the helper's default of 8 now cuts it, as a real vLLM would).
const tools = [
  {
    type: 'function',
    function: {
      name: 'f',
      parameters: {
        type: 'object',
        properties: { x: { type: 'string', enum: [BIG] }, [BIG]: { type: 'integer' }, n: { type: 'integer' } },
      },
    },
  },
];

describe('a tool call from a schema with 1 MiB enum values and names', () => {
  it('streams an answer of a few KiB (megabytes when copied whole), and the mock stays responsive', async () => {
    const started = performance.now();
    const res = await postJson(`${vllm.url}/v1/chat/completions`, chat('go [[mock tool=f]]', { tools, stream: true, max_tokens: 1000 }));
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text.length).toBeLessThan(64 * 1024);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    let args = '';
    for (const line of text.split('\n')) {
      if (!line.startsWith('data: {')) continue;
      args += JSON.parse(line.slice(6)).choices[0]?.delta?.tool_calls?.[0]?.function?.arguments ?? '';
    }
    expect(Object.keys(JSON.parse(args))).toEqual(['x', 'n']);
    const health = await fetch(`${vllm.url}/health`);
    expect(health.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('answers the same arguments unstreamed', async () => {
    const res = await postJson(`${vllm.url}/v1/chat/completions`, chat('go [[mock tool=f]]', { tools, max_tokens: 1000 }));
    const body = (await res.json()) as { choices: { message: { tool_calls: { function: { arguments: string } }[] } }[] };
    const args = body.choices[0]!.message.tool_calls[0]!.function.arguments;
    expect(args.length).toBeLessThan(1024);
    expect(Object.keys(JSON.parse(args))).toEqual(['x', 'n']);
  });
});

describe('respondToolCall to a client that does not read', () => {
  it('builds events only as the socket takes them, and counts the abort when the client leaves', async () => {
    const EVENTS = 200_000;
    const event = `data: ${'e'.repeat(1018)}\n\n`; // 1 KiB: 200 MiB if all were built and queued
    let pulled = 0;
    const stats = new MockStats();
    const events = {
      *[Symbol.iterator]() {
        for (let i = 0; i < EVENTS; i++) {
          pulled++;
          yield event;
        }
      },
    };
    let answered: Promise<void> | undefined;
    const server: Server = createServer((_req, res) => {
      answered = respondToolCall(res, { stream: true, ttftMs: 0, headers: {}, body: '', events, completionTokens: 5 }, stats);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const socket = connect(port, '127.0.0.1');
      socket.on('error', () => {});
      socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
      socket.once('data', () => socket.pause()); // the first bytes, then nothing more is read
      // Until the producer stops moving (it waits for a drain that never comes), 3 s at most.
      let last = -1;
      for (let i = 0; i < 60 && pulled !== last; i++) {
        last = pulled;
        await delay(100);
      }
      // Socket buffers hold a few MiB at most: far fewer events than the 200,000 of the whole answer.
      expect(pulled).toBeGreaterThan(0);
      expect(pulled).toBeLessThan(EVENTS / 10);
      socket.destroy();
      await answered;
      expect(stats.aborted).toBe(1);
      expect(stats.completed).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
