/**
 * The exported retry policy against aigw's own failover rule (upstream/classify.ts statusFailsOver): aigw tries the next
 * target on any 5xx, 429, 401 and 403. The export listed five codes (429, 500, 502, 503, 504) under
 * retriable-status-codes, so in the cluster an Anthropic backend's 529 (overloaded), a 501 or 507, a 401 or 403 went back
 * to the client where aigw fails over. Every 4xx and 5xx now agrees; the policy still validates.
 */
import { describe, expect, it } from 'vitest';
import { statusFailsOver } from '../../../src/upstream/classify.js';
import { crdsAvailable, validateObject } from './crd-validate.js';
import { exportProfile } from './profiles.js';

interface RetryOn {
  triggers: string[];
  httpStatusCodes?: number[];
}

/** Whether Envoy retries an answer of this status under these triggers (its router's retry_on semantics). */
function envoyRetries(on: RetryOn, status: number): boolean {
  if (on.triggers.includes('5xx') && status >= 500) return true;
  if (on.triggers.includes('gateway-error') && [502, 503, 504].includes(status)) return true;
  if (on.triggers.includes('retriable-4xx') && status === 409) return true;
  return on.triggers.includes('retriable-status-codes') && (on.httpStatusCodes ?? []).includes(status);
}

const out = () =>
  exportProfile(`version: 1
backends: { a: { url: "https://api.anthropic.com", kind: anthropic, apiKey: sk-ant-x }, b: { url: "http://10.0.0.7:8000" } }
models: { m: { targets: [{ backend: a, model: claude-sonnet-4-5 }, { backend: b }] } }
`);

describe('the exported retry policy retries what aigw fails over', () => {
  it('every 4xx and 5xx status agrees with statusFailsOver', () => {
    const btp = out().objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value;
    const on = (btp.spec as { retry: { retryOn: RetryOn } }).retry.retryOn;
    const differ: number[] = [];
    for (let s = 400; s <= 599; s++) if (envoyRetries(on, s) !== statusFailsOver(s)) differ.push(s);
    expect(differ).toEqual([]);
  });

  it.skipIf(!crdsAvailable)('validates against its CRD', () => {
    const btp = out().objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value;
    expect(validateObject(btp)).toEqual({ ok: true });
  });
});
