/**
 * `requestReceivedTimeout: 0s` is Envoy's "no deadline" for receiving a request (HCM request_timeout 0 disables it),
 * and `timeouts.request: 0s` is aigw's. The import only took a positive timeout: 0s was dropped, and the profile read
 * aigw's default 30s — a slow upload the cluster waits for got 408 after 30s — and a profile with `timeouts.request:
 * 0s` came back from its own export with 30s.
 */
import { describe, expect, it } from 'vitest';
import { renderDocument, renderStream } from '../../../src/bridge/envoy/render-yaml.js';
import { parseProfile } from '../../../src/profile/load.js';
import { BASE, docs, imported } from './manifests.js';
import { exportProfile } from './profiles.js';

const received = (timeout: string) =>
  `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: ctp}\n` +
  `spec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: gw}]\n` +
  `  timeout: {http: {requestReceivedTimeout: ${timeout}}}\n`;

describe('requestReceivedTimeout', () => {
  it('0s: no deadline, imported as timeouts.request 0s', () => {
    const r = imported(docs(BASE, received('0s')));
    expect(r.problems).toEqual([]);
    expect(r.profile.timeouts).toMatchObject({ request: '0s' });
  });

  it('45s: imported as it is', () => {
    const r = imported(docs(BASE, received('45s')));
    expect(r.profile.timeouts).toMatchObject({ request: '45s' });
  });

  it('a profile with timeouts.request 0s comes back from its own export with 0s', () => {
    const out = exportProfile(`version: 1
timeouts: { request: 0s }
backends: { b: { url: http://10.0.0.7:8000 } }
models: { m: { targets: [{ backend: b }] } }
`);
    const text = renderStream(out.objects.map((o) => renderDocument(o.value, o.comments, o.header)));
    const back = imported(text, 'export.yaml');
    expect(back.problems).toEqual([]);
    const p = parseProfile(renderDocument(back.profile), 'back.yaml', {});
    expect(p.ok && p.profile.timeouts.request).toBe(0);
  });
});
