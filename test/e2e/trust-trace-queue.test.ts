/**
 * Spans held for a collector that hangs are bounded by what they may hold (attacker review). With
 * `captureContent: true` a span keeps up to 16 Ki characters of prompt and as many of answer (~68 KiB), and a
 * client's sampled `traceparent` makes one whatever `sampleRatio` says: the processor's queue of 8,192 held
 * ~550 MB while the collector was down or hung. Now, with content, at most the queue (256) and the batches in
 * flight wait; without content the queue stays large, its spans small. Seen from a real collector on a socket:
 * it holds its first export while a thousand spans end, then answers — what reaches it after is all that was held.
 * (Counted rather than weighed: a heap measurement of a full queue would take thousands of requests.)
 */
import { describe, expect, it } from 'vitest';
import { createTracing } from '../../src/observe/tracing.js';
import { spanQueue } from '../../src/observe/tracing-otel.js';
import { eventually } from '../helpers/eventually.js';
import { useOtlpReceiver } from '../helpers/otlp-receiver.js';

/** What one span with captured content weighs while it waits (measured: 65–68 KiB for a non-Latin prompt). */
const SPAN_WITH_CONTENT = 68 * 1024;
/** What a collector that hangs may make the gateway hold in spans with content, at most. */
const BUDGET = 64 * 2 ** 20;
const ENDED = 1000;

describe('spans waiting for a collector that hangs', () => {
  it('with captureContent: the queue and the batches in flight stay within 64 MiB of spans', () => {
    const q = spanQueue(true);
    expect(q.maxExportBatchSize).toBeLessThanOrEqual(q.maxQueueSize);
    expect((q.maxQueueSize + q.concurrencyLimit * q.maxExportBatchSize) * SPAN_WITH_CONTENT).toBeLessThanOrEqual(BUDGET);
    // The processor waits for a batch longer than the exporter does: never two batches in flight but on a flush.
    expect(q.exportTimeoutMillis).toBeGreaterThan(10_000);
  });

  it.each([
    ['with captureContent, a client-sampled trace at sampleRatio 0: spans past the queue are dropped', true],
    ['without content: the queue holds all thousand (small) spans', false],
  ])(
    '%s',
    async (_name, captureContent) => {
      const collector = await useOtlpReceiver({ holdFirst: true });
      const tracing = await createTracing({ otlp: collector.url, sampleRatio: 0, captureContent });
      const prompt = '北'.repeat(16 * 1024);
      for (let i = 0; i < ENDED; i++) {
        const span = tracing.startRequest({
          endpoint: 'chat',
          traceparent: `00-${(i + 1).toString(16).padStart(32, '0')}-b7ad6b7169203331-01`,
        });
        span.recordContent('input', prompt);
        span.recordContent('output', prompt);
        span.end(200);
      }
      await eventually(() => collector.exports.length === 1, 5000);
      collector.release();
      await tracing.flush();
      const q = spanQueue(captureContent);
      // With content: the batch the collector held, then the full queue; every later span was dropped at its end.
      expect(collector.spans.length).toBe(captureContent ? q.maxExportBatchSize + q.maxQueueSize : ENDED);
      if (captureContent) expect(collector.spans.length).toBeLessThan(ENDED / 2);
      await tracing.shutdown();
    },
    30_000,
  );
});
