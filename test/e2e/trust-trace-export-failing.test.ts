/**
 * A collector that refuses or is gone is said to the operator, once when exports start failing and once when they
 * recover. Without a diag logger the SDK said nothing: a wrong `otlp` URL, a refused token, an outage dropped every
 * span in silence. Exports go to a real collector on a socket; its answer is switched between refusal and success.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTracing } from '../../src/observe/tracing.js';
import { ReportingExporter } from '../../src/observe/tracing-otel.js';
import { useOtlpReceiver } from '../helpers/otlp-receiver.js';

async function endSpanAndFlush(tracing: Awaited<ReturnType<typeof createTracing>>): Promise<void> {
  tracing.startRequest({ endpoint: 'chat', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }).end(200);
  await tracing.flush();
}

describe('a trace export that fails is said, once each way', () => {
  it('a collector answering 400: one warning however many batches fail, one line when it accepts again', async () => {
    const collector = await useOtlpReceiver();
    const said: string[] = [];
    const tracing = await createTracing({ otlp: collector.url, sampleRatio: 1, captureContent: false }, 'dev', (l) => said.push(l));
    collector.answerWith(400);
    await endSpanAndFlush(tracing);
    await endSpanAndFlush(tracing);
    expect(collector.exports.length).toBe(2);
    expect(said).toEqual([
      expect.stringMatching(/^aigw: warning: trace export failing \(.+\); spans are dropped until the collector answers\n$/),
    ]);
    collector.answerWith(200);
    collector.clear();
    await endSpanAndFlush(tracing);
    await endSpanAndFlush(tracing);
    expect(said.slice(1)).toEqual(['aigw: trace export recovered\n']);
    expect(collector.spans.length).toBe(2);
    await tracing.shutdown();
  });

  // The exporter retries a refused connection until its 10 s deadline.
  it('a collector that is not listening: the socket error is the reason', { timeout: 30_000 }, async () => {
    // A port just freed: nothing listens there.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const said: string[] = [];
    const tracing = await createTracing({ otlp: `http://127.0.0.1:${port}`, sampleRatio: 1, captureContent: false }, 'dev', (l) =>
      said.push(l),
    );
    await endSpanAndFlush(tracing);
    expect(said).toEqual([expect.stringContaining('ECONNREFUSED')]);
    await tracing.shutdown();
  });
});

describe('a collector that flaps', () => {
  const failed = { code: ExportResultCode.FAILED, error: new Error('Bad Request') };
  const ok = { code: ExportResultCode.SUCCESS };
  /** An exporter answering each export with the next of `results`. */
  const scripted = (results: ExportResult[]): SpanExporter => ({
    export: (_spans, done) => done(results.shift()!),
    shutdown: async () => {},
  });
  const run = (results: ExportResult[], everyMs: number) => {
    const said: string[] = [];
    const exporter = new ReportingExporter(scripted([...results]), (l) => said.push(l), everyMs);
    for (let i = 0; i < results.length; i++) exporter.export([], () => {});
    return said.map((l) => (l.includes('failing') ? 'failing' : 'recovered'));
  };

  it('failing every other batch: one failure and its recovery said within the minute, not a line a batch', () => {
    expect(run([failed, ok, failed, ok, failed, ok, failed], 60_000)).toEqual(['failing', 'recovered']);
  });

  it('once the interval is over, a failure is said again — the last line never a recovery that no longer holds', () => {
    expect(run([failed, ok, failed, failed], 0)).toEqual(['failing', 'recovered', 'failing']);
  });
});

it("a collector's hostile reason is one short line: no control character reaches the terminal, at most 200 characters", () => {
  const said: string[] = [];
  const reason = `\x1b[2J\x1b]0;owned\x07\r\nforged line ${'x'.repeat(10_000)}`;
  const exporter = new ReportingExporter(
    { export: (_spans, done) => done({ code: ExportResultCode.FAILED, error: new Error(reason) }), shutdown: async () => {} },
    (l) => said.push(l),
  );
  exporter.export([], () => {});
  expect(said).toHaveLength(1);
  const line = said[0]!;
  expect(line.endsWith('\n')).toBe(true);
  expect([...line.slice(0, -1)].filter((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)).toEqual([]);
  expect(line.length).toBeLessThan(400);
});
