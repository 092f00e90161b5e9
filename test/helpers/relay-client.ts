/**
 * The SSE relays on a fake client response, without a socket: what the relay tests and the relay's fuzz test
 * write to and compare.
 */
import type { ServerResponse } from 'node:http';
import { RequestRecord } from '../../src/events/request-record.js';
import { Downstream } from '../../src/relay/downstream.js';
import { SseRelay } from '../../src/relay/sse-relay.js';

/** A client response that records writes (one entry per write) and how it ended. */
export function fakeClient() {
  const writes: Buffer[] = [];
  const res = {
    headersSent: false,
    destroyed: false,
    status: 0,
    headers: {} as Record<string, unknown>,
    ended: false,
    socket: null,
    writeHead(status: number, headers: Record<string, unknown>) {
      this.status = status;
      this.headers = headers;
      this.headersSent = true;
    },
    write(chunk: Buffer | string) {
      writes.push(Buffer.from(chunk));
      return true;
    },
    end(chunk?: Buffer | string) {
      if (chunk !== undefined) writes.push(Buffer.from(chunk));
      this.ended = true;
    },
    destroy() {
      this.destroyed = true;
    },
    once() {},
  };
  const record = new RequestRecord('req-test');
  const out = new Downstream(res as unknown as ServerResponse, record, undefined, 60_000);
  return { res, out, record, writes, text: () => Buffer.concat(writes).toString() };
}

/** A relay of `Relay`'s kind writing to a fake client whose head is sent (no first-event callback). */
export function relayOn(Relay: typeof SseRelay, dropUsage: boolean, maxEventBytes: number, scrub?: (t: string) => string) {
  const c = fakeClient();
  c.out.writeHead(200, {});
  return { c, relay: new Relay(c.out, dropUsage, () => {}, maxEventBytes, scrub) };
}

/** The full decoder's relay: any subclass leaves the fast path (relay/sse-relay.ts), so this is the reference. */
export class DecodingRelay extends SseRelay {}
