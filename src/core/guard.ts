/**
 * The last-resort guard of every HTTP listener (gateway, admin, mocks): a throw — synchronous or from the
 * returned promise — answers 500 (or cuts the response when its head is gone) and is reported as a
 * warning, instead of escaping the request listener and taking the process, and every request in flight,
 * down with it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

export function guarded(
  listener: Listener,
  fail: (res: ServerResponse, err: unknown) => void,
): (req: IncomingMessage, res: ServerResponse) => void {
  const onError = (res: ServerResponse, err: unknown) => {
    process.emitWarning(`aigw: a request handler failed: ${(err as Error)?.stack ?? String(err)}`);
    try {
      if (!res.headersSent && !res.destroyed) fail(res, err);
      else res.destroy();
    } catch {
      res.destroy();
    }
  };
  return (req, res) => {
    try {
      const r = listener(req, res);
      if (r instanceof Promise) r.catch((e: unknown) => onError(res, e));
    } catch (e) {
      onError(res, e);
    }
  };
}
