/**
 * /aigw/stats counts a tenant's requests as its limiter counts them (attacker review, trust 83) — a client that leaves
 * while a shared store (Redis) decides its admission too. Its request ended while the store was still deciding: the
 * request event went out at once, `admitted: false`, and the store charged it a moment later (its settlement refunded
 * the tokens, never the request). A client timing out against a slow Redis was refused 429 on requests `rpm.used`
 * never showed. Here the store (scripted) holds its answer until the gateway has seen the client go.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIT, SETTLE } from '../../src/tenants/limits/redis-scripts.js';
import { eventually, useGateway } from '../helpers/gateway.js';
import { respCommands } from '../helpers/redis.js';

const sha = (s: string) => createHash('sha1').update(s).digest('hex');
const [ADMIT_SHA, SETTLE_SHA] = [sha(ADMIT), sha(SETTLE)];
/** ADMIT's answer for one limit: admitted, in bucket 1 at 1,000 ms; one request of the window used. */
const ADMITTED = '*10\r\n$2\r\nok\r\n:1\r\n:1000\r\n:0\r\n:0\r\n:1\r\n:0\r\n:0\r\n$1\r\n0\r\n:0\r\n';

/** A Redis that answers every command at once but holds each admission until the test lets it go. */
const held: Socket[] = [];
let settles = 0;
const store = createServer((socket) => {
  socket.on('error', () => {});
  let buf = Buffer.alloc(0);
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    const { args, used } = respCommands(buf);
    buf = buf.subarray(used);
    for (const [name = '', script] of args) {
      const cmd = name.toUpperCase();
      if (cmd === 'INFO') socket.write('$11\r\nloading:0\r\n\r\n');
      else if ((cmd === 'EVALSHA' && script === ADMIT_SHA) || (cmd === 'EVAL' && script === ADMIT)) held.push(socket);
      else {
        if ((cmd === 'EVALSHA' && script === SETTLE_SHA) || (cmd === 'EVAL' && script === SETTLE)) settles++;
        socket.write(cmd === 'EVALSHA' || cmd === 'EVAL' ? ':1\r\n' : '+OK\r\n');
      }
    }
  });
});
await new Promise<void>((r) => store.listen(0, '127.0.0.1', r));
afterAll(() => store.close());

const gw = await useGateway(`
version: 1
limits: { store: { redis: "redis://127.0.0.1:${(store.address() as { port: number }).port}", timeout: 10s } }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [m] } }
models:
  m: { targets: [{ backend: v }] }
tenants:
  t: { keys: [k], limits: { rpm: 100 } }
`);

describe('a client that leaves while Redis decides its admission', () => {
  it("is its tenant's request in /aigw/stats once the store admits it, as the limiter charged it", async () => {
    const id = 'gone-while-admitting';
    const req = request(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json', 'x-request-id': id },
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 }));
    await eventually(() => held.length === 1);
    req.destroy();
    // The gateway has seen the client go (its response is gone) while the store still holds the admission.
    await eventually(() => gw.gateway.state.live.size === 0);
    held[0]!.write(ADMITTED);

    const e = await gw.requestEvent(id);
    expect(e).toMatchObject({ tenant: 't', admitted: true, attempts: 0 });
    // Settled: the store was told, the lease freed.
    await eventually(() => settles === 1);
    expect(gw.admin.stats.snapshot().tenants.t!.rpm).toEqual({ used: 1, limit: 100 });
  });
});
