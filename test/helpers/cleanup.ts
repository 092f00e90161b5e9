/**
 * Cleanup for helpers that start things: after the current test when called inside one, else after the file.
 * vitest silently never runs an afterAll registered from inside a test, which left servers, Prometheus and
 * aigw processes behind whenever a test started one itself.
 */
import { afterAll, expect, onTestFinished } from 'vitest';

export function cleanupAfter(fn: () => unknown): void {
  const done = async () => {
    await fn();
  };
  if (expect.getState().currentTestName !== undefined) onTestFinished(done);
  else afterAll(done);
}
