/**
 * What is noted of an answer keeps nothing of the text it was read from (attacker review). V8 makes a slice of 13
 * characters or more a view that keeps its whole source alive: a model name, an id or a finish reason read off a
 * stream event, and a captureContent sample cut from one, kept the event's whole text (up to limits.maxEventBytes)
 * for as long as they lived — the request's event in the admin's history, the metrics' learned names, a queued span.
 * Measured here as heap: 16 events of 2 MiB, each dropped once read.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AnswerNotes } from '../../../src/events/request-record.js';
import { modelIn, noteEvent } from '../../../src/relay/answer-facts.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

const EVENTS = 16;
const EVENT_CHARS = 2 * 1024 * 1024;

/** A fresh event text of EVENT_CHARS, then the data line read out of it (a view into it, as eventData makes). */
function eventData(i: number): string {
  const event = `: ${String(i).padStart(8, '0')}${'p'.repeat(EVENT_CHARS)}\ndata: {"id":"chatcmpl-${i}-0123456789","model":"backend-model-with-a-long-name","choices":[{"finish_reason":"content_filter_${i}"}]}`;
  return event.split('\n')[1]!.slice(6);
}

/** Heap still held, after collection, by what `keep` returns for each of EVENTS events. */
function heldBy(keep: (data: string) => unknown): number {
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: unknown[] = [];
  for (let i = 0; i < EVENTS; i++) kept.push(keep(eventData(i)));
  gc();
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  expect(kept).toHaveLength(EVENTS);
  return grown;
}

describe('what is noted of an event keeps nothing of the event', () => {
  it('its model', () => {
    const grown = heldBy((data) => {
      const model = modelIn(data);
      expect(model).toBe('backend-model-with-a-long-name');
      return model;
    });
    // Held, 16 × 2 MiB (32 MiB); a name each is what should stay.
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });

  it('its id and finish reason (a recording trace)', () => {
    const grown = heldBy((data) => {
      const notes = new AnswerNotes(false);
      noteEvent(notes, data);
      expect(notes.id).toMatch(/^chatcmpl-\d+-0123456789$/);
      expect(notes.finishReasons[0]).toMatch(/^content_filter_\d+$/);
      return notes;
    });
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });

  it('its text, sampled with captureContent', () => {
    const grown = heldBy((data) => {
      const notes = new AnswerNotes(true);
      noteEvent(notes, data);
      expect(notes.text).toBe(data);
      return notes;
    });
    expect(grown).toBeLessThan(4 * 1024 * 1024);
  });
});
