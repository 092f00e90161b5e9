/**
 * The client side of a relay: headers once, bytes counted, and backpressure turned into pause/resume of
 * the upstream (the upstream never runs ahead of a slow client by more than a socket buffer).
 */
import type { RequestContext } from '../gateway/request-context.js';

export interface FlowControl {
  pause(): void;
  resume(): void;
}

export class Downstream {
  private paused = false;
  private flow: FlowControl | undefined;

  constructor(readonly ctx: RequestContext) {}

  get headersSent(): boolean {
    return this.ctx.res.headersSent;
  }

  /** Connects backpressure to an upstream; one 'drain' listener for the whole response. */
  attach(flow: FlowControl): void {
    this.flow = flow;
    this.ctx.res.on('drain', () => {
      if (this.paused) {
        this.paused = false;
        this.flow?.resume();
      }
    });
  }

  writeHead(status: number, headers: Record<string, string | string[]>): void {
    const { res, requestId, backend } = this.ctx;
    headers['x-request-id'] = requestId;
    if (backend) headers['x-aigw-backend'] = backend;
    this.ctx.status = status;
    res.writeHead(status, headers);
  }

  write(chunk: Buffer | string): void {
    const res = this.ctx.res;
    if (res.destroyed) return;
    this.ctx.bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!res.write(chunk) && !this.paused && this.flow) {
      this.paused = true;
      this.flow.pause();
    }
  }

  end(chunk?: Buffer | string): void {
    if (chunk !== undefined) this.ctx.bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    this.ctx.res.end(chunk);
  }

  /** An abortive close: the client sees a broken connection, never a clean end of a cut body. */
  destroy(): void {
    this.ctx.res.destroy();
  }
}
