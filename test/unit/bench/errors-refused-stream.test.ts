/**
 * The `errors` scenario's mid-stream case passed on any error the SDK threw — a stream refused before it began too: a
 * target answering the case's request 429 (its key out of budget after the load scenarios), 401 or 400 never started the
 * stream whose failure the case is about, yet read "ok mid-stream failure → the stream throws", and with the other four
 * cases right `errors.failed==0` passed a gateway whose mid-stream behaviour was never seen. A refusal (a 4xx before
 * the stream) now fails the case; an error in the stream, or a 5xx for the backend's failure, still passes it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { errorsScenario } from '../../../src/bench/errors.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useUpstream } from '../../helpers/upstream.js';

type Api = 'openai' | 'anthropic';

const errorBody = (api: Api, status: number, message: string) =>
  api === 'anthropic'
    ? {
        type: 'error',
        error: {
          type:
            status === 404
              ? 'not_found_error'
              : status === 413
                ? 'request_too_large'
                : status === 429
                  ? 'rate_limit_error'
                  : status >= 500
                    ? 'api_error'
                    : 'invalid_request_error',
          message,
        },
      }
    : { error: { message, type: 'invalid_request_error', code: null } };

/** Right on the four other cases; the stream case answered as `stream` says. */
function target(api: Api, stream: 'refused' | 'error-event') {
  return (_req: IncomingMessage, res: ServerResponse, body: string) => {
    const send = (status: number, message: string) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(errorBody(api, status, message)));
    let j: { model?: string; stream?: boolean; messages?: { content: string }[] };
    try {
      j = JSON.parse(body);
    } catch {
      return send(400, 'bad JSON');
    }
    if (body.length > 64 * 1024) return send(413, 'too large');
    if (j.model === 'no-such-model-aigw-bench') return send(404, 'no such model');
    if (j.messages?.[0]?.content.includes('status:500')) return send(500, 'upstream failed');
    if (j.stream && stream === 'refused') return send(429, 'Rate limit reached');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (api === 'anthropic')
      return res.end(
        `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'upstream reset' } })}\n\n`,
      );
    res.end(
      `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: 'a' } }] })}\n\ndata: ${JSON.stringify({ error: { message: 'upstream reset', code: 'upstream_error' } })}\n\n`,
    );
  };
}

const ctxFor = (url: string, api: Api) =>
  benchContext({ url, mocks: {} }, { api, durationMs: 100, drainMs: 5000, profile: { limits: { maxRequestBytes: 64 * 1024 } } as never });

describe('errors: the mid-stream case against a stream refused before it began', () => {
  it.each(['openai', 'anthropic'] as const)('fails the case when the stream is refused 429 (%s)', async (api) => {
    const up = await useUpstream(target(api, 'refused'));
    const r = await errorsScenario(ctxFor(up.url, api));
    expect(r.lines.join('\n')).toMatch(/FAIL mid-stream failure/);
    expect(r.figures['errors.failed']).toBe(1);
  });

  it.each(['openai', 'anthropic'] as const)('passes every case when the stream fails with an error event (%s)', async (api) => {
    const up = await useUpstream(target(api, 'error-event'));
    const r = await errorsScenario(ctxFor(up.url, api));
    expect(r.lines.join('\n')).toMatch(/ok {3}mid-stream failure/);
    expect(r.figures['errors.failed']).toBe(0);
  });
});
