/**
 * A reload under `serve --mocks` (or `--mock-all`): the in-process mocks start with the gateway and keep the settings
 * they started with, so a reload that changes one — a model routed to it, a mock added — was reported applied
 * (`{ ok: true }`, the reload event's "N models") while the new model answered the mock's 404 and an added mock's
 * backend pointed at port 0. A backend turned from a mock into a real URL kept being sent to the mock. The README:
 * a reload "refuses, naming the setting, what needs a restart".
 */
import { describe, expect, it } from 'vitest';
import { profileFor, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useScriptedChatUpstream } from '../helpers/upstream.js';

const profile = (models: string, backends = '') => `
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
${backends}
models:
${models}
`;
const A = '  a: { targets: [{ backend: v, model: up-a }] }';

const chat = (base: string, model: string) =>
  rawPost(`${base}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'x' }], max_tokens: 2 });

describe('a reload and the mocks started with the gateway', () => {
  it('a model routed to a mock that does not serve it: refused, naming the mock; the old profile serves', async () => {
    const g = await useGateway(profile(A));
    const r = await g.stack.reload(profileFor(profile(`${A}\n  b: { targets: [{ backend: v, model: up-b }] }`)));
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toMatch(/backends\.v\.mock: .*restart/);
    expect((await chat(g.url, 'a')).status).toBe(200);
  });

  it('a mock added by the reload: refused (nothing would listen at its URL)', async () => {
    const g = await useGateway(profile(A));
    const r = await g.stack.reload(
      profileFor(profile(`${A}\n  b: { targets: [{ backend: w }] }`, '  w: { url: http://127.0.0.1:0, mock: { kind: vllm } }')),
    );
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).toMatch(/backends\.w\.mock: .*restart/);
  });

  it('a backend that is no longer a mock: its real URL is served, not the mock', async () => {
    const real = await useScriptedChatUpstream({
      message: { role: 'assistant', content: 'from the real one' },
      deltas: [],
      finish: 'stop',
      usage: { prompt_tokens: 1, completion_tokens: 4 },
    });
    const g = await useGateway(profile(A));
    const next = profileFor(
      `
version: 1
backends:
  v: { url: "{{real}}" }
models:
${A}
`,
      { real: real.url },
    );
    expect(await g.stack.reload(next)).toEqual({ ok: true });
    const res = await chat(g.url, 'a');
    expect(res.status).toBe(200);
    expect(res.body.toString()).toContain('from the real one');
  });

  it('reloading the profile as served (mock URLs filled in) is no change', async () => {
    const g = await useGateway(profile(A));
    expect(await g.stack.reload(g.stack.profile())).toEqual({ ok: true });
  });
});
