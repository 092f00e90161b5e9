/**
 * A model's weighted split is a smooth weighted round-robin whose turns lived in the route table a reload builds anew:
 * each reload started every rotation again from zero, and from zero the heaviest target is picked first, then again
 * until the lighter ones' turns have grown past it. A reload that changed nothing about a model (a tenant's key or
 * limits, another model) so sent the first requests after it to the heavy target: with a 9:1 canary and a reload
 * every five requests, the canary got none of fifty (a ConfigMap edited often, or a tenant's key rotated, on a model of
 * modest traffic: the canary silently idle). A list the reload keeps as it was (its targets and weights, in order)
 * keeps its turns; one whose weights changed starts anew, at the new split at once (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { gatewayFor, profileFor } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const profile = (rpm: number, canary = 1) => `
version: 1
backends:
  main: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  canary: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: main, model: m, weight: 9 }, { backend: canary, model: m, weight: ${canary} }] }
tenants:
  t: { keys: [k], limits: { rpm: ${rpm} } }
`;

describe('a weighted split across reloads', () => {
  it('keeps its share when reloads leave the model as it was', async () => {
    const g = await gatewayFor(profile(1000));
    try {
      for (let i = 0; i < 50; i++) {
        // Every five requests, a reload that changes only the tenant's limits.
        if (i % 5 === 0 && i > 0) expect((await g.stack.reload(profileFor(profile(1000 + i)))).ok).toBe(true);
        const r = await rawPost(
          `${g.url}/v1/chat/completions`,
          { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 },
          { headers: { authorization: 'Bearer k' } },
        );
        expect(r.status).toBe(200);
      }
      expect((await g.mockStats('canary')).completed).toBe(5);
      expect((await g.mockStats('main')).completed).toBe(45);
    } finally {
      await g.close();
    }
  });

  it('takes new weights at once', async () => {
    const g = await gatewayFor(profile(1000));
    try {
      const send = () =>
        rawPost(
          `${g.url}/v1/chat/completions`,
          { model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 1 },
          { headers: { authorization: 'Bearer k' } },
        );
      for (let i = 0; i < 3; i++) await send();
      // Now an even split: the next ten requests go five and five.
      expect((await g.stack.reload(profileFor(profile(1000, 9)))).ok).toBe(true);
      const before = (await g.mockStats('canary')).completed;
      for (let i = 0; i < 10; i++) await send();
      expect((await g.mockStats('canary')).completed - before).toBe(5);
    } finally {
      await g.close();
    }
  });
});
