/**
 * A request's single ending: the settle stage, then the request event — once, synchronously when the settle
 * stage has nothing to wait for, and even when the settle stage throws; a request that ended before its admission
 * was decided settles as soon as it is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import type { GatewayEvent } from '../../../src/events/types.js';
import { RequestContext } from '../../../src/gateway/request-context.js';

function context() {
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const ctx = new RequestContext({} as IncomingMessage, {} as ServerResponse, 'req-1', bus);
  ctx.record.endpoint = 'chat';
  return { ctx, events };
}

describe('finishing a request', () => {
  it('publishes at once when the settle stage does not wait, and only once', () => {
    const { ctx, events } = context();
    let settled = 0;
    ctx.settleWith({
      settle: () => {
        settled++;
      },
    });
    expect(ctx.finish()).toBeUndefined();
    expect(ctx.finish()).toBeUndefined();
    expect(settled).toBe(1);
    expect(events.map((e) => e.type)).toEqual(['request']);
  });

  it('publishes after a settle stage that waits, and after one that throws or rejects', async () => {
    for (const settle of [
      () => new Promise<void>((r) => setTimeout(r, 1)),
      () => {
        throw new Error('boom');
      },
      () => Promise.reject(new Error('boom')),
    ]) {
      const { ctx, events } = context();
      ctx.settleWith({ settle });
      await ctx.finish();
      expect(events.map((e) => e.type)).toEqual(['request']);
    }
  });

  it('settles at once when the request ended before it was admitted (the client left during a Redis round trip)', async () => {
    const { ctx, events } = context();
    expect(ctx.finish()).toBeUndefined();
    expect(ctx.ended).toBe(true);
    const settled: string[] = [];
    ctx.settleWith({
      settle: (record) => {
        settled.push(record.requestId);
      },
    });
    expect(settled).toEqual(['req-1']);
    // A settle that throws or rejects then has no one to tell, and breaks nothing.
    ctx.settleWith({
      settle: () => {
        throw new Error('boom');
      },
    });
    ctx.settleWith({ settle: () => Promise.reject(new Error('boom')) });
    await new Promise((r) => setImmediate(r));
    // The request event went out once, when the request ended.
    expect(events.map((e) => e.type)).toEqual(['request']);
  });

  it('ended while a shared store decided its admission: settles, then publishes, once it is decided (trust 83)', async () => {
    const { ctx, events } = context();
    const settled: string[] = [];
    let decide!: () => void;
    const decided = new Promise<void>((r) => {
      decide = r;
    }).then(() => {
      // What follows the store's answer: the request is admitted and handed its settle stage.
      ctx.record.admitted = true;
      ctx.settleWith({ settle: () => void settled.push('settled') });
    });
    ctx.whileAdmitting(decided);
    const finishing = ctx.finish();
    expect(finishing).toBeInstanceOf(Promise);
    expect(events).toEqual([]);
    decide();
    await finishing;
    expect(settled).toEqual(['settled']);
    expect(events).toMatchObject([{ type: 'request', admitted: true }]);
  });

  it('decided before it ended: its ending waits for nothing', async () => {
    const { ctx, events } = context();
    const decided = Promise.resolve();
    ctx.whileAdmitting(decided);
    await decided;
    await new Promise((r) => setImmediate(r));
    expect(ctx.finish()).toBeUndefined();
    expect(events.map((e) => e.type)).toEqual(['request']);
  });

  it('ended before its admission began (its client left as the body arrived): settled at once when admitted', async () => {
    const { ctx, events } = context();
    expect(ctx.finish()).toBeUndefined();
    const settled: string[] = [];
    const decided = Promise.resolve().then(() => ctx.settleWith({ settle: () => void settled.push('settled') }));
    ctx.whileAdmitting(decided);
    await decided;
    expect(settled).toEqual(['settled']);
    expect(events.map((e) => e.type)).toEqual(['request']);
  });
});
