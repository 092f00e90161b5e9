/**
 * The exported retry's numAttemptsPerPriority — how many attempts Envoy makes on a priority before moving to the next,
 * the fallbacks — is one value for every route. It was the largest of the models' own target lists: a header match's
 * targets were not counted (a request matching a three-target match moved to the fallbacks after one attempt, where
 * aigw tries all three first), and a model with fewer targets than the largest retried them instead of failing over,
 * unsaid — with resilience.attempts no more than that value, the cluster never reached its fallbacks at all.
 */
import { describe, expect, it } from 'vitest';
import type { ExportResult } from '../../../src/bridge/envoy/export.js';
import { exportProfile } from './profiles.js';

const BACKENDS = `version: 1
backends:
  a: { url: http://10.0.0.7:8000 }
  b: { url: http://10.0.0.8:8000 }
  c: { url: http://10.0.0.9:8000 }
  d: { url: http://10.0.0.10:8000 }
`;

const retryOf = (r: ExportResult) =>
  (r.objects.find((o) => o.value.kind === 'BackendTrafficPolicy')!.value as { spec: { retry: Record<string, unknown> } }).spec.retry;

describe('attempts per priority', () => {
  it('a header match’s targets count: all three tried before the fallback', () => {
    const r = exportProfile(`${BACKENDS}resilience: { attempts: 4 }
models:
  chat:
    targets: [{ backend: d }]
    fallbacks: [backup]
    match: [{ when: { headers: { x-tier: gold } }, targets: [{ backend: a }, { backend: b }, { backend: c }] }]
  backup: { targets: [{ backend: d }] }
`);
    expect(retryOf(r).numAttemptsPerPriority).toBe(3);
  });

  it('a model with fewer targets than the largest group: said, and that its fallbacks are never reached', () => {
    const r = exportProfile(`${BACKENDS}models:
  chat: { targets: [{ backend: a }], fallbacks: [backup] }
  pool: { targets: [{ backend: a }, { backend: b }, { backend: c }] }
  backup: { targets: [{ backend: d }] }
`);
    expect(retryOf(r)).toMatchObject({ numRetries: 2, numAttemptsPerPriority: 3 });
    expect(r.warnings.join('\n')).toMatch(
      /^models\.chat\.fallbacks: the cluster makes 3 attempts on chat's 1 target before its fallbacks .*never reaches the fallbacks/m,
    );
  });

  it('every model as large as the value: nothing said', () => {
    const r = exportProfile(`${BACKENDS}models:
  chat: { targets: [{ backend: a }, { backend: b }], fallbacks: [backup] }
  backup: { targets: [{ backend: d }] }
`);
    expect(r.warnings.join('\n')).not.toMatch(/attempts on/);
  });
});
