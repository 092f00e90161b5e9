/**
 * Trust class 12: a client-chosen value cannot forge a log line or drive a terminal, in either log format;
 * and an event subscriber's replay obeys the same cap as its live events.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../src/events/bus.js';
import { RequestRecord } from '../../../src/events/request-record.js';
import { EventStream } from '../../../src/observe/event-stream.js';
import { jsonLine, prettyLine } from '../../../src/observe/request-log.js';

function requestEvent(model: string, errorCode?: string) {
  const r = new RequestRecord('req-1');
  r.endpoint = 'chat';
  r.model = model;
  r.status = 404;
  r.errorCode = errorCode;
  return r.toEvent();
}

const hostile = [
  'x\n2026-01-01 200 chat forged line',
  'x\u001b[2J\u001b[31mred',
  'x\u009b31m',
  'x\r\u2028y',
  'x\u0000y\u007f',
  'gpt\u202e\u2066ok\u2069',
  'gpt-4o\u{e0061}\u{e007f}',
];

describe('log lines escape control characters', () => {
  it.each(hostile)('pretty and JSON lines stay one inert line for %j', (model) => {
    for (const line of [prettyLine(requestEvent(model, model), false), jsonLine(requestEvent(model, model))]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the test
      expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202e\u2066\u2069]|\udb40/);
    }
    // JSON lines still parse back to the original value.
    expect(JSON.parse(jsonLine(requestEvent(model))).model).toBe(model);
  });
});

describe('event replay obeys the subscriber cap', () => {
  it('drops (and counts) replayed events beyond the pending-bytes cap', () => {
    const bus = new EventBus();
    let drops = 0;
    const stream = new EventStream(bus, () => drops++);
    stream.maxPendingBytes = 10_000;
    for (let i = 0; i < 500; i++) bus.publish(requestEvent(`model-${i}-${'y'.repeat(200)}`));
    let written = 0;
    const res = {
      // The connection's only response (whenResponseGone: a queued one has none yet).
      socket: {},
      writableLength: 0,
      writeHead() {
        return this;
      },
      write(chunk: string) {
        written += chunk.length;
        this.writableLength += chunk.length;
        return false;
      },
      on() {
        return this;
      },
      end() {},
    };
    stream.handle(
      { method: 'GET', headers: { 'last-event-id': '0' }, url: '/aigw/events' } as unknown as IncomingMessage,
      res as unknown as ServerResponse,
    );
    expect(written).toBeLessThan(20_000);
    expect(drops).toBeGreaterThan(200);
    stream.close();
  });
});
