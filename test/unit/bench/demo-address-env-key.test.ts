/**
 * `aigw bench --model M` with no target named benches whatever answers at the demo address (127.0.0.1:8080): any local
 * process, on a shared machine anyone's. It was sent `$OPENAI_API_KEY` — the key of the gateway `$OPENAI_BASE_URL`
 * names, or OpenAI's — first in a /v1/models probe, then, when that answer listed the model, in every request of the
 * run. The env key goes only to a target the user named; at the demo address the bench says it did not send it.
 */
import { describe, expect, it } from 'vitest';
import { DEMO_URL, resolveTarget, type TargetDeps } from '../../../src/bench/resolve-target.js';
import { loadBenchProfile } from '../../../src/bench/target.js';

const SECRET = 'sk-openai-real-secret';

/** The world, faked: the demo address answers, listing the model for any key; every key it was sent is kept. */
function deps(): TargetDeps & { sent: (string | undefined)[] } {
  const sent: (string | undefined)[] = [];
  return {
    sent,
    probe: async (url) => url === DEMO_URL,
    models: async (_url, key) => {
      sent.push(key);
      return ['llama-3-70b'];
    },
    load: (file) => loadBenchProfile(file, {}),
    start: async () => {
      throw new Error('not started');
    },
  };
}

describe('$OPENAI_API_KEY and the demo address', () => {
  it('is neither probed with nor benched with there, and the first line says so without the key', async () => {
    const d = deps();
    const r = await resolveTarget({ model: 'llama-3-70b' }, { OPENAI_API_KEY: SECRET }, d);
    if (!r.ok) throw new Error(r.message);
    expect(d.sent).not.toContain(SECRET);
    expect(r.value.apiKey).toBe('sk-acme-demo');
    expect(r.value.how).toContain('$OPENAI_API_KEY is not sent');
    expect(r.value.how).not.toContain(SECRET);
  });

  it('--api-key is still sent there, and $OPENAI_API_KEY still goes to a target the user named', async () => {
    const d = deps();
    const r = await resolveTarget({ model: 'llama-3-70b', apiKey: 'sk-given' }, { OPENAI_API_KEY: SECRET }, d);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.apiKey).toBe('sk-given');
    expect(r.value.how).not.toContain('$OPENAI_API_KEY');
    const named = await resolveTarget({ model: 'llama-3-70b' }, { OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: 'http://gw:1/v1' }, deps());
    expect(named).toMatchObject({ ok: true, value: { apiKey: SECRET } });
  });
});
