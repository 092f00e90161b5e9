/**
 * Non-streamed answers. `passthrough`: bytes go to the client as they arrive (flat memory whatever the
 * size). `buffered`: the whole body is held up to maxBytes, then sent with its length; over the limit
 * either a 502 response_too_large before any byte (`error`), or Envoy's failure reproduced on purpose
 * (`truncate`): status 200, the first maxBytes bytes, then a dead connection.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Downstream } from './downstream.js';
import { downstreamHeaders } from './headers.js';
import { TailWindow } from './usage-tap.js';

export interface BufferPolicy {
  mode: 'passthrough' | 'buffered';
  maxBytes: number;
  onOverflow: 'error' | 'truncate' | 'envoy';
}

export type BodyOutcome = { kind: 'ok' } | { kind: 'too_large' } | { kind: 'truncated'; delivered: number };

export class BodyRelay {
  readonly tail = new TailWindow();
  private held: Buffer[] = [];
  private heldBytes = 0;
  received = 0;
  private ended = false;
  readonly expected: number | undefined;

  constructor(
    private readonly out: Downstream,
    private readonly policy: BufferPolicy,
    private readonly status: number,
    private readonly headers: IncomingHttpHeaders,
  ) {
    const cl = headers['content-length'];
    this.expected = cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : undefined;
  }

  private head(withLength: number | undefined): void {
    const h = downstreamHeaders(this.headers, {});
    if (withLength !== undefined) h['content-length'] = String(withLength);
    this.out.writeHead(this.status, h);
  }

  /** Before any data: a declared length over the limit is refused at once (truncate mode still sends the first maxBytes). */
  overflowsUpFront(): boolean {
    const p = this.policy;
    return p.mode === 'buffered' && p.onOverflow === 'error' && this.expected !== undefined && this.expected > p.maxBytes;
  }

  /** Returns an outcome when the relay has finished early (overflow), else undefined. */
  push(chunk: Buffer): BodyOutcome | undefined {
    this.received += chunk.length;
    this.tail.push(chunk);
    if (this.policy.mode === 'passthrough') {
      if (!this.out.headersSent) {
        this.head(this.expected);
        // The common small answer arrives in one piece: headers and body leave in one write.
        if (this.expected === chunk.length) {
          this.ended = true;
          this.out.end(chunk);
          return undefined;
        }
      }
      this.out.write(chunk);
      return undefined;
    }
    if (this.heldBytes + chunk.length <= this.policy.maxBytes) {
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      return undefined;
    }
    return this.overflow(chunk);
  }

  overflow(chunk?: Buffer): BodyOutcome {
    if (this.policy.onOverflow === 'error') return { kind: 'too_large' };
    const room = this.policy.maxBytes - this.heldBytes;
    if (chunk && room > 0) this.held.push(chunk.subarray(0, room));
    const body = Buffer.concat(this.held);
    this.held = [];
    this.head(this.expected);
    this.out.write(body);
    this.out.destroy();
    return { kind: 'truncated', delivered: body.length };
  }

  /** The upstream ended cleanly. */
  end(): void {
    if (this.ended) return;
    if (this.policy.mode === 'passthrough') {
      if (!this.out.headersSent) this.head(this.received);
      this.out.end();
      return;
    }
    const body = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held, this.heldBytes);
    this.held = [];
    this.head(body.length);
    this.out.end(body);
  }
}
