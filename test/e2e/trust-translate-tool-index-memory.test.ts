/**
 * OpenAI backend → Anthropic client, a stream of tool call after tool call (each a new index, a million of them):
 * the gateway holds what is open, not every call it relayed. translate/anthropic-openai-stream.ts remembered every
 * tool_calls index it saw (OpenAI index → Anthropic block index) for the stream's life, to refuse a late delta for
 * a closed call: ~29 MiB a million calls, unbounded. OpenAI's indexes only grow: the open call and the highest
 * index seen are enough.
 */
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'sk-tenant-trust-tools';
const CALLS = 1_000_000;
let sentAll: () => void = () => {};
const allSent = new Promise<void>((r) => (sentAll = r));

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  let i = 0;
  const pump = (): void => {
    while (i < CALLS) {
      let batch = '';
      for (let k = 0; k < 500 && i < CALLS; k++, i++) {
        batch += `data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":${i},"id":"t${i}","function":{"name":"f","arguments":"{}"}}]}}]}\n\n`;
      }
      if (!res.write(batch)) return void res.once('drain', pump);
    }
    // Every call sent; the backend holds the stream open (no finish yet).
    res.write('', () => sentAll());
  };
  pump();
});

const gw = await useGateway(scriptedBackendProfile(KEY), { u: up.url });

describe('a translated stream holds what is open, not every tool call it ever relayed', () => {
  it(`${CALLS} tool calls, one after another: the gateway's heap does not grow with them`, async () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    let received = 0;
    const req = request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    });
    // The last KiB received, across reads: the gateway writes a read's frames at once, so the last call's id may stand
    // further from the end of the client's last read than one frame (a read's slice missed it, and the wait ran out).
    let lastStop = '';
    req.on('response', (res) => {
      res.on('data', (d: Buffer) => {
        received += d.length;
        lastStop = (lastStop + d.toString('latin1', Math.max(0, d.length - 1024))).slice(-1024);
      });
      res.on('error', () => {});
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true }));
    await allSent;
    // Until the last call's block reached the client: 18 s for the whole test at a load average of 4, and it came
    // within 10 s of its 60 s timeout under 10 (2026-12-07), so the waits are liveness bounds well clear of both.
    const deadline = Date.now() + 120_000;
    while (!lastStop.includes(`"id":"t${CALLS - 1}"`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lastStop).toContain(`"id":"t${CALLS - 1}"`);
    gc();
    const held = process.memoryUsage().heapUsed - before;
    req.destroy();
    expect(received).toBeGreaterThan(CALLS * 100);
    // 0.9 MiB measured; 29 MiB when every index was remembered.
    expect(held).toBeLessThan(8 * 2 ** 20);
  }, 180_000);
});
