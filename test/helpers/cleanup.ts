/**
 * Cleanup for helpers that start things (servers, processes): after the test that started one, or after the
 * test file when started outside a test. vitest silently never runs an afterAll registered from inside a test
 * or a hook — a helper awaited in a beforeAll, or a promise left to resolve while the first test runs — which
 * left servers, Prometheus, Redis and aigw processes behind. So the scope is taken when the helper is called
 * (before its first await), and file-level cleanups go to a list that test/setup.ts's afterAll drains.
 */
import { onTestFinished, TestRunner } from 'vitest';

const pending: (() => unknown)[] = [];

/** Call at a helper's entry, before any await: returns how to register what undoes it. */
export function cleanupScope(): (fn: () => unknown) => void {
  const test = TestRunner.getCurrentTest();
  return (fn) => {
    if (test && TestRunner.getCurrentTest() === test) onTestFinished(async () => void (await fn()));
    else pending.push(fn);
  };
}

/** Runs the file-level cleanups, last started first. */
export async function runFileCleanups(): Promise<void> {
  for (let fn = pending.pop(); fn; fn = pending.pop()) await fn();
}
