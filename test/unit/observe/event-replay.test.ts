/**
 * `GET /aigw/events` with Last-Event-ID: a reconnecting subscriber gets every event it missed (up to
 * HISTORY) while someone reads the stream and for a grace after the last one leaves; otherwise a fresh
 * subscriber gets the last IDLE_HISTORY events, and older ones are not held.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { RequestRecord } from '../../../src/events/request-record.js';
import { decodeSseBody } from '../../../src/openai/sse.js';
import { EventStream, firstEventId, HISTORY, IDLE_HISTORY, MAX_SUBSCRIBERS } from '../../../src/observe/event-stream.js';

const streams: EventStream[] = [];
afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});

/** A stream whose ids begin at `firstId` (1: the figures read as counts), or where a process's begin. */
function setup(resumeGraceMs = 60_000, firstId: number | 'as a process' = 1) {
  const bus = new EventBus();
  const stream = new EventStream(bus, undefined, undefined, firstId === 'as a process' ? undefined : firstId);
  stream.resumeGraceMs = resumeGraceMs;
  streams.push(stream);
  const publish = (n: number) => {
    for (let i = 0; i < n; i++) bus.publish(new RequestRecord(`req-${i}`).toEvent());
  };
  return { stream, publish };
}

/** A subscriber from `lastEventId`: the ids it has received, and its disconnect. */
function subscribe(stream: EventStream, lastEventId: number) {
  let text = '';
  let status = 0;
  const closers: (() => void)[] = [];
  const res = {
    // The connection's only response (whenResponseGone: a queued one has none yet).
    socket: {},
    writableLength: 0,
    writeHead(s: number) {
      status = s;
      return this;
    },
    write(chunk: string) {
      text += chunk;
      return true;
    },
    on(event: string, fn: () => void) {
      if (event === 'close') closers.push(fn);
      return this;
    },
    end(chunk?: string) {
      if (chunk) text += chunk;
      for (const fn of closers) fn();
    },
  };
  stream.handle(
    { method: 'GET', headers: { 'last-event-id': String(lastEventId) }, url: '/aigw/events' } as unknown as IncomingMessage,
    res as unknown as ServerResponse,
  );
  return {
    status,
    text: () => text,
    ids: () => decodeSseBody(text).flatMap((e) => (e.id ? [Number(e.id)] : [])),
    leave: () => res.end(),
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('event replay', () => {
  it('gives a fresh subscriber the last IDLE_HISTORY events when nobody was reading', () => {
    const { stream, publish } = setup();
    publish(1000);
    expect(subscribe(stream, 0).ids()).toEqual(range(1000 - IDLE_HISTORY + 1, 1000));
    expect(IDLE_HISTORY).toBeGreaterThanOrEqual(200); // a screenful of `aigw top` (LOG_LINES)
  });

  it('replays everything a reconnecting subscriber missed, up to HISTORY, within the grace', () => {
    const { stream, publish } = setup();
    const first = subscribe(stream, 0);
    publish(10);
    const seen = first.ids().at(-1)!;
    first.leave();
    publish(900);
    expect(subscribe(stream, seen).ids()).toEqual(range(seen + 1, seen + 900));
    publish(2000);
    expect(subscribe(stream, seen).ids()).toHaveLength(HISTORY);
  });

  it('replays what it keeps to a subscriber resuming from an id it never gave', () => {
    const { stream, publish } = setup();
    publish(5);
    expect(subscribe(stream, 5000).ids()).toEqual(range(1, 5));
    expect(subscribe(stream, 5).ids()).toEqual(range(6, 5));
    expect(subscribe(stream, 3).ids()).toEqual([4, 5]);
  });

  it("replays a restarted gateway's events whole to a subscriber resuming from the last id the process before gave", async () => {
    // The process before gave 3 events and `aigw top` read them all; the new one has given 5 when it reconnects.
    const before = setup(60_000, 'as a process');
    const reader = subscribe(before.stream, 0);
    before.publish(3);
    const lastRead = reader.ids().at(-1)!;
    // A process starts after the one before it: its clock has moved on (a millisecond, here).
    await vi.waitUntil(() => firstEventId() > lastRead, { interval: 1 });
    const after = setup(60_000, 'as a process');
    after.publish(5);
    const resumed = subscribe(after.stream, lastRead).ids();
    // Ids that began at 1 in each process took 3 for the new one's own: only its events 4 and 5 were sent.
    expect(resumed).toHaveLength(5);
    expect(Math.min(...resumed)).toBeGreaterThan(lastRead);
  });

  it('keeps only IDLE_HISTORY once the grace after the last subscriber has passed', async () => {
    const { stream, publish } = setup(20);
    subscribe(stream, 0).leave();
    publish(900);
    await new Promise((r) => setTimeout(r, 100));
    expect(subscribe(stream, 0).ids()).toEqual(range(900 - IDLE_HISTORY + 1, 900));
  });

  it('takes at most MAX_SUBSCRIBERS readers at once: the next gets 503 overloaded, a place freed is taken again', () => {
    const { stream } = setup();
    const readers = Array.from({ length: MAX_SUBSCRIBERS }, () => subscribe(stream, 0));
    expect(readers.every((r) => r.status === 200)).toBe(true);
    const refused = subscribe(stream, 0);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text()).error.code).toBe('overloaded');
    expect(stream.subscribers).toBe(MAX_SUBSCRIBERS);
    readers[0]!.leave();
    expect(subscribe(stream, 0).status).toBe(200);
  });

  it('does not hold events it would not replay', () => {
    const { stream, publish } = setup();
    publish(3000);
    const held = (stream as unknown as { history: unknown[] }).history.filter((e) => e !== undefined);
    expect(held).toHaveLength(IDLE_HISTORY);
  });
});
