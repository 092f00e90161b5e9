/**
 * Two ways a model routes in aigw that the cluster's routes do not, exported without a word: `escalate` (a large
 * prompt goes to another model before any target is chosen — the cluster sends every request to the model's own
 * targets), and a fallback model with match rules (aigw fails over to the group those rules choose for the request,
 * routing/plan.ts; the exported rule names the fallback's default targets — an EU request that aigw fails over to an
 * EU backend goes to the other region in the cluster).
 */
import { describe, expect, it } from 'vitest';
import { exportProfile } from './profiles.js';

const BACKENDS = `version: 1
backends:
  us: { url: http://10.0.0.7:8000 }
  eu: { url: http://10.0.0.8:8000 }
  big: { url: http://10.0.0.9:8000 }
`;

describe('routing the cluster cannot follow is said', () => {
  it('escalate: the model and where aigw escalates', () => {
    const r = exportProfile(`${BACKENDS}models:
  small: { targets: [{ backend: us }], escalate: [{ when: { promptTokens: ">2000" }, model: large }] }
  large: { targets: [{ backend: big }] }
`);
    expect(r.warnings.join('\n')).toMatch(/^models\.small\.escalate: not exported: .*never to large/m);
  });

  it('a fallback model with header matches: said at the fallback', () => {
    const r = exportProfile(`${BACKENDS}models:
  chat: { targets: [{ backend: big }], fallbacks: [backup] }
  backup:
    targets: [{ backend: us }]
    match: [{ when: { headers: { x-region: eu } }, targets: [{ backend: eu }] }]
`);
    expect(r.warnings.join('\n')).toMatch(/^models\.chat\.fallbacks\[0\]: backup routes requests by their headers/m);
  });

  it('a fallback without match rules: nothing said', () => {
    const r = exportProfile(`${BACKENDS}models:
  chat: { targets: [{ backend: big }], fallbacks: [backup] }
  backup: { targets: [{ backend: us }] }
`);
    expect(r.warnings.join('\n')).not.toMatch(/fallbacks/);
  });
});
