/**
 * What a span's attributes hold of a client's or a backend's text: only well-formed strings. A lone surrogate — a
 * client's `"model": "\ud800"` (JSON.parse takes it), a pair cut by a bound — was written by the OTLP JSON exporter as
 * a `\ud800` escape, which strict decoders refuse (Go's protojson: "invalid escape code"), dropping the whole batch of
 * spans with it (observability review).
 */
import { describe, expect, it } from 'vitest';
import { toAttributes } from '../../../src/observe/tracing-otel.js';

const wellFormed = (v: unknown): boolean => (typeof v === 'string' ? (v as unknown as { isWellFormed(): boolean }).isWellFormed() : true);

describe('span attributes', () => {
  it('hold a lone surrogate as U+FFFD, in a name, a list and a value cut at its bound', () => {
    const attrs = toAttributes({
      requestModel: 'm\ud800',
      responseModel: '\udc00x',
      responseId: `${'a'.repeat(255)}😀`.repeat(2),
      finishReasons: ['stop\udbff'],
    });
    for (const v of Object.values(attrs)) for (const s of Array.isArray(v) ? v : [v]) expect(wellFormed(s)).toBe(true);
    expect(attrs['gen_ai.request.model']).toBe('m\ufffd');
    expect(attrs['gen_ai.response.finish_reasons']).toEqual(['stop\ufffd']);
  });

  it('leave a well-formed name as it is', () => {
    expect(toAttributes({ requestModel: 'llama-3 😀' })['gen_ai.request.model']).toBe('llama-3 😀');
  });
});
