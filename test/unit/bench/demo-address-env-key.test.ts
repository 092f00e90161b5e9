/**
 * `aigw bench` with neither --target, -c, $AIGW_TARGET nor $OPENAI_BASE_URL benches whatever answers at the demo address —
 * an address the bench guessed, where any local process (anyone's, on a shared machine) may listen. $OPENAI_API_KEY is
 * the key of $OPENAI_BASE_URL, or of api.openai.com: it was tried there first (sent to that listener's /v1/models), and
 * chosen for the whole run when the listener said it serves the model. Now only keys the user gave for it (--api-key)
 * and the demo profile's own go there; the env key still goes to every target the user names.
 */
import { describe, expect, it } from 'vitest';
import { resolveTarget, realDeps } from '../../../src/bench/resolve-target.js';
import { useServer } from '../../helpers/upstream.js';

/** A listener at the demo address that serves every model to every key, and keeps the keys it was sent. */
async function listener(): Promise<{ url: string; keys: string[] }> {
  const keys: string[] = [];
  const url = await useServer((req, res) => {
    keys.push(String(req.headers.authorization ?? ''));
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: [{ id: 'llama-3-70b' }] }));
  });
  return { url, keys };
}

describe('the demo address and $OPENAI_API_KEY', () => {
  it('never gets the env key: the demo profile lends its own', async () => {
    const { url, keys } = await listener();
    const r = await resolveTarget({ model: 'llama-3-70b' }, { AIGW_DEMO_URL: url, OPENAI_API_KEY: 'sk-openai-real' }, realDeps);
    if (!r.ok) throw new Error(r.message);
    expect(keys.join('\n')).not.toContain('sk-openai-real');
    expect(r.value.apiKey).not.toBe('sk-openai-real');
    expect(r.value.how).toContain('$OPENAI_API_KEY is not sent to the demo address');
  });

  it('gets --api-key, which the user gave for it', async () => {
    const { url, keys } = await listener();
    const r = await resolveTarget(
      { model: 'llama-3-70b', apiKey: 'sk-given' },
      { AIGW_DEMO_URL: url, OPENAI_API_KEY: 'sk-openai-real' },
      realDeps,
    );
    if (!r.ok) throw new Error(r.message);
    expect(r.value.apiKey).toBe('sk-given');
    expect(keys.join('\n')).not.toContain('sk-openai-real');
  });

  it('still defaults --api-key to it for a target the user named', async () => {
    const { url, keys } = await listener();
    const r = await resolveTarget({ model: 'llama-3-70b' }, { OPENAI_BASE_URL: `${url}/v1`, OPENAI_API_KEY: 'sk-openai-real' }, realDeps);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.apiKey).toBe('sk-openai-real');
    expect(keys).toEqual([]);
  });
});
