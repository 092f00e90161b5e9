/**
 * The last-resort guard of every HTTP listener (gateway, admin, mocks): a throw — synchronous or from the
 * returned promise — answers 500 (or cuts the response when its head is gone) and is reported as a
 * warning, instead of escaping the request listener and taking the process, and every request in flight,
 * down with it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** A handler's failure, reported (a process warning) where nothing is left to answer. */
export function reportFailure(err: unknown): void {
  process.emitWarning(`aigw: a request handler failed: ${(err as Error)?.stack ?? String(err)}`);
}

/**
 * A handler's failure, answered: a warning, then `fail` (500) while the head is unsent, else a cut response.
 * Also for a stage that runs after its listener returned (gateway/respond.ts failedRequest).
 */
export function answerFailure(res: ServerResponse, err: unknown, fail: (res: ServerResponse, err: unknown) => void): void {
  reportFailure(err);
  try {
    if (!res.headersSent && !res.destroyed) fail(res, err);
    else res.destroy();
  } catch {
    res.destroy();
  }
}

export function guarded(
  listener: Listener,
  fail: (res: ServerResponse, err: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const onError = (res: ServerResponse, err: unknown) => answerFailure(res, err, fail);
  return (req, res) => {
    try {
      const r = listener(req, res);
      if (r instanceof Promise) r.catch((e: unknown) => onError(res, e));
    } catch (e) {
      onError(res, e);
    }
  };
}
