/**
 * A redirect is the replica's doing (trust-upstream-redirect-fails-over.test.ts): it fails over, and `latency` reads it
 * as a failure's penalty, not as a millisecond answer that would make the misconfigured replica the quickest.
 */
import { describe, expect, it } from 'vitest';
import { replicaAtFault } from '../../../src/routing/feedback.js';
import { statusFailsOver } from '../../../src/upstream/classify.js';

describe.each([301, 302, 303, 307, 308])('%i', (status) => {
  it('fails over', () => expect(statusFailsOver(status)).toBe(true));
  it("is the replica's fault", () => expect(replicaAtFault(status)).toBe(true));
});

describe.each([400, 413, 422])('%i (the request)', (status) => {
  it('does not fail over', () => expect(statusFailsOver(status)).toBe(false));
  it("is not the replica's fault", () => expect(replicaAtFault(status)).toBe(false));
});
