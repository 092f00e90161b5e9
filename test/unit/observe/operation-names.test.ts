/**
 * Every endpoint the gateway serves has an operation name on its metrics and spans: a span of
 * `/v1/messages/count_tokens` read `gen_ai.operation.name: unknown`, a value no tracing backend groups by (the
 * conventions ask a system-specific name where none of theirs applies).
 */
import { describe, expect, it } from 'vitest';
import { metricOperation, spanOperation } from '../../../src/observe/genai-names.js';
import { ENDPOINT_PATHS } from '../../../src/openai/endpoints.js';

describe('operation names', () => {
  it.each(Object.keys(ENDPOINT_PATHS))('%s is named on spans and metrics', (endpoint) => {
    expect(spanOperation(endpoint)).not.toBe('unknown');
    expect(metricOperation(endpoint)).not.toBe('unknown');
  });

  it('a token count is count_tokens on spans, as on metrics', () => {
    expect(spanOperation('count_tokens')).toBe('count_tokens');
  });

  it('a name that is no endpoint is unknown, not a prototype member', () => {
    expect(spanOperation('valueOf')).toBe('unknown');
  });
});
