/**
 * A request's single ending: the settle stage, then the request event — once, synchronously when the settle
 * stage has nothing to wait for, and even when the settle stage throws.
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
    ctx.settle = () => {
      settled++;
    };
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
      ctx.settle = settle;
      await ctx.finish();
      expect(events.map((e) => e.type)).toEqual(['request']);
    }
  });
});
