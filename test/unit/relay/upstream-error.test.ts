/**
 * A backend's error answer, as the client sees it: OpenAI's shape whatever the backend's dialect, and none of
 * the backend's text — message, param or code — carrying a configured secret back.
 */
import { describe, expect, it } from 'vitest';
import { makeScrubber } from '../../../src/core/scrub.js';
import { normalizeUpstreamError } from '../../../src/relay/upstream-error.js';

const SECRET = 'sk_backend_secret_123';
const scrub = makeScrubber([SECRET]);
const json = (o: unknown) => Buffer.from(JSON.stringify(o));
const rejected = (body: unknown, status = 400) => normalizeUpstreamError(status, 'application/json', json(body), 'vllm', scrub);

describe("a backend's error answer", () => {
  it("keeps a 4xx's status, message, param and string code (vLLM's and OpenAI's shape)", () => {
    const e = rejected({ error: { message: 'max_tokens is too large', type: 'BadRequestError', param: 'max_tokens', code: 'too_large' } });
    expect(e).toMatchObject({ status: 400, message: 'max_tokens is too large', param: 'max_tokens', wireCode: 'too_large' });
  });

  it('reads FastAPI detail and TEI error strings, and names a code for a numeric one', () => {
    expect(rejected({ detail: 'Not Found' }, 404)).toMatchObject({ message: 'Not Found', wireCode: 'not_found' });
    expect(rejected({ error: 'Input validation error', error_type: 'Validation' }, 422)).toMatchObject({
      message: 'Input validation error',
      wireCode: 'invalid_request',
    });
    expect(rejected({ error: { message: 'x', code: 400 } })).toMatchObject({ wireCode: 'invalid_request', param: null });
  });

  it('scrubs a secret the backend echoes in its message, its param or its code', () => {
    const e = rejected({ error: { message: `bad key ${SECRET}`, param: `Bearer ${SECRET}`, code: SECRET } });
    expect(JSON.stringify(e)).not.toContain(SECRET);
    expect(e).toMatchObject({ message: 'bad key [redacted]', param: 'Bearer [redacted]', wireCode: 'invalid_request' });
  });

  it('bounds what it repeats: a message to 500 characters, a param to 128', () => {
    const e = rejected({ error: { message: 'm'.repeat(10_000), param: 'p'.repeat(10_000) } });
    expect(e.message).toHaveLength(500);
    expect(e.param).toHaveLength(128);
  });

  it('answers 502 for a 5xx or a refusal of the gateway’s own credentials, repeating no HTML', () => {
    const html = normalizeUpstreamError(503, 'text/html', Buffer.from('<html>upstream down at 10.0.0.7</html>'), 'vllm', scrub);
    expect(html).toMatchObject({ code: 'upstream_error', message: 'backend vllm answered HTTP 503' });
    expect(rejected({ error: { message: `no ${SECRET}` } }, 401)).toMatchObject({ code: 'upstream_auth_error' });
  });
});
