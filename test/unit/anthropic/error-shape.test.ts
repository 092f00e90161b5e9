import { describe, expect, it } from 'vitest';
import { renderAnthropicError, renderAnthropicStreamError } from '../../../src/anthropic/error-shape.js';
import { aigwError, type ErrorCode } from '../../../src/core/errors.js';

describe("AigwError → Anthropic's error shape", () => {
  it.each<[ErrorCode, number, string]>([
    ['invalid_json', 400, 'invalid_request_error'],
    ['invalid_request', 400, 'invalid_request_error'],
    ['invalid_api_key', 401, 'authentication_error'],
    ['model_not_allowed', 403, 'permission_error'],
    ['model_not_found', 404, 'not_found_error'],
    ['request_timeout', 408, 'invalid_request_error'],
    ['request_too_large', 413, 'request_too_large'],
    ['rate_limit_exceeded', 429, 'rate_limit_error'],
    ['internal_error', 500, 'api_error'],
    ['upstream_error', 502, 'api_error'],
    ['no_healthy_backend', 529, 'overloaded_error'],
    ['overloaded', 529, 'overloaded_error'],
    ['upstream_timeout', 504, 'timeout_error'],
  ])('%s → %i %s', (code, status, type) => {
    const r = renderAnthropicError(aigwError(code, 'what happened'), { requestId: 'req_1' });
    expect(r.status).toBe(status);
    expect(JSON.parse(r.body)).toEqual({ type: 'error', error: { type, message: 'what happened' }, request_id: 'req_1' });
    expect(r.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(r.body)),
      'request-id': 'req_1',
    });
  });

  it('keeps retry headers and a 429 says rate_limit_error whatever the limit kind', () => {
    const r = renderAnthropicError(
      aigwError('rate_limit_exceeded', 'tokens per minute', { type: 'tokens', headers: { 'retry-after': '3' } }),
    );
    expect(r.headers['retry-after']).toBe('3');
    expect(JSON.parse(r.body).error.type).toBe('rate_limit_error');
  });

  it('a backend 4xx passed through keeps its status', () => {
    const r = renderAnthropicError(aigwError('upstream_rejected', 'context too long', { status: 422 }));
    expect(r.status).toBe(422);
    expect(JSON.parse(r.body).error.type).toBe('invalid_request_error');
  });

  it('the mid-stream frame is one event: error', () => {
    expect(renderAnthropicStreamError(aigwError('upstream_stream_error', 'cut "here"\n'))).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"cut \\"here\\"\\n"},"request_id":null}\n\n',
    );
  });
});
