/**
 * OpenAI backend → Anthropic client, one tool call whose arguments stream a character a chunk. The translator holds a
 * call's arguments until its block closes (to check they make a JSON object), at most limits.maxEventBytes of them
 * (d5f114d). Held as `this.args += piece`, each piece was one more V8 cons string (~20 bytes a character): a backend
 * that sent 1 MiB of arguments a character at a time made the stream hold ~20 MiB, the default bound of 16 MiB ~330 MiB
 * per stream. The bound holds what it says now: the arguments' characters, in one growing buffer.
 */
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'sk-tenant-trust-heldargs';
/** Arguments characters sent one a chunk: under the 1 MiB bound, so the stream goes on. */
const PIECES = 500_000;
let sentAll: () => void = () => {};
const allSent = new Promise<void>((r) => (sentAll = r));

const delta = (args: string): string =>
  `data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"${args}"}}]}}]}\n\n`;

const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.write(
    `data: {"id":"c","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t0","function":{"name":"f","arguments":"{\\"a\\":\\""}}]}}]}\n\n`,
  );
  let i = 0;
  const pump = (): void => {
    while (i < PIECES) {
      let batch = '';
      for (let k = 0; k < 500 && i < PIECES; k++, i++) batch += delta(i === PIECES - 1 ? 'Z' : 'x');
      if (!res.write(batch)) return void res.once('drain', pump);
    }
    // Every piece sent; the call stays open (no finish yet).
    res.write('', () => sentAll());
  };
  pump();
});

const gw = await useGateway(
  `
version: 1
limits: { maxEventBytes: 1Mi }
backends:
  oa: { url: "{{u}}" }
models:
  gpt: { targets: [{ backend: oa }] }
tenants:
  t: { keys: ["${KEY}"] }
`,
  { u: up.url },
);

describe("a translated tool call's arguments held for their check", () => {
  it(`${PIECES} one-character pieces: the gateway holds about their characters, not a string object each`, async () => {
    gc();
    const before = process.memoryUsage().heapUsed;
    let last = '';
    const req = request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'anthropic-version': '2023-06-01' },
    });
    req.on('response', (res) => {
      res.on('data', (d: Buffer) => {
        last = d.toString('latin1').slice(-300);
      });
      res.on('error', () => {});
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ model: 'gpt', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true }));
    await allSent;
    const deadline = Date.now() + 30_000;
    while (!last.includes('"partial_json":"Z"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(last).toContain('"partial_json":"Z"');
    gc();
    const held = process.memoryUsage().heapUsed - before;
    req.destroy();
    // The arguments are ~0.5 MB of text; held a cons string a piece they were ~10 MB.
    expect(held).toBeLessThan(3 * 2 ** 20);
  }, 60_000);
});
