/** Which gateway `aigw bench` judges, in order, with the world (probes, profile loading, start-up) faked. */
import { describe, expect, it } from 'vitest';
import { DEMO_URL, resolveTarget, type TargetDeps } from '../../../src/bench/resolve-target.js';
import { DEMO_PROFILE, loadBenchProfile } from '../../../src/bench/target.js';

function deps(over: { answering?: string[]; models?: Record<string, string[]> } = {}): TargetDeps & { started: string[] } {
  const started: string[] = [];
  return {
    started,
    probe: async (url) => (over.answering ?? []).includes(url),
    models: async (_url, key) => (key ? over.models?.[key] : undefined),
    load: (file) => loadBenchProfile(file, {}),
    start: async (bp) => {
      started.push(bp.file);
      return {
        target: { url: 'http://127.0.0.1:1234', admin: 'http://127.0.0.1:1235', mocks: {} },
        benchKey: 'bench-key',
        stop: async () => {},
      };
    },
  };
}

const o = { model: 'llama-3-70b' };

describe('resolveTarget', () => {
  it('--target wins, and the key falls back to $OPENAI_API_KEY', async () => {
    const r = await resolveTarget(
      { ...o, target: 'http://gw.example:9000/v1/' },
      { OPENAI_API_KEY: 'sk-env', AIGW_TARGET: 'http://x' },
      deps(),
    );
    expect(r).toMatchObject({
      ok: true,
      value: { target: { url: 'http://gw.example:9000' }, apiKey: 'sk-env', how: 'bench: target http://gw.example:9000 (--target)' },
    });
  });

  it('-c starts the profile and uses its own unlimited tenant', async () => {
    const d = deps();
    const r = await resolveTarget({ ...o, config: 'profiles/demo.yaml' }, { OPENAI_API_KEY: 'sk-env' }, d);
    expect(d.started).toEqual(['profiles/demo.yaml']);
    expect(r).toMatchObject({
      ok: true,
      value: { apiKey: 'bench-key', limitedKey: 'sk-acme-demo', how: expect.stringMatching(/^bench: -c: started profiles\/demo\.yaml/) },
    });
  });

  it.each([
    ['AIGW_TARGET', { AIGW_TARGET: 'http://a:1/', OPENAI_BASE_URL: 'http://b:2/v1' }, 'http://a:1'],
    ['OPENAI_BASE_URL', { OPENAI_BASE_URL: 'http://b:2/v1' }, 'http://b:2'],
  ])('then $%s', async (name, env, url) => {
    const r = await resolveTarget(o, { ...env, OPENAI_API_KEY: 'sk-env' }, deps({ answering: [DEMO_URL] }));
    expect(r).toMatchObject({ ok: true, value: { target: { url }, apiKey: 'sk-env', how: `bench: target ${url} (from $${name})` } });
  });

  it('then a gateway answering at the demo address, with the first key that may use the model', async () => {
    const d = deps({ answering: [DEMO_URL], models: { 'sk-acme-demo': ['llama-3-70b'] } });
    const r = await resolveTarget(o, { OPENAI_API_KEY: 'sk-openai-real' }, d);
    expect(d.started).toEqual([]);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.how).toBe(
      `bench: a gateway is already answering at ${DEMO_URL} (the demo address): benching it ` +
        'with the key from tenant acme of the demo profile',
    );
    expect(r.value.apiKey).toBe('sk-acme-demo');
    // At its own address, the demo's admin and mocks are known.
    expect(r.value.target).toMatchObject({ admin: 'http://127.0.0.1:9901', mocks: { 'vllm-llama-v1': 'http://127.0.0.1:8001' } });
  });

  it('$AIGW_DEMO_URL moves the demo address; elsewhere, the demo profile lends keys and weights but no admin or backends', async () => {
    const here = 'http://127.0.0.1:5555';
    const r = await resolveTarget(o, { AIGW_DEMO_URL: here }, deps({ answering: [here], models: { 'sk-acme-demo': ['llama-3-70b'] } }));
    if (!r.ok) throw new Error(r.message);
    expect(r.value.target).toEqual({ url: here, mocks: {} });
    expect(r.value.bp?.profile.models['llama-3-70b']).toBeDefined();
  });

  it('else starts the bundled demo, and says why', async () => {
    const d = deps();
    const r = await resolveTarget(o, {}, d);
    expect(d.started).toEqual([DEMO_PROFILE]);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.how).toMatch(/^bench: nothing answers at http:\/\/127\.0\.0\.1:8080 and no --target, -c or \$AIGW_TARGET: started /);
  });

  it.each([
    ['a profile that does not load', { ...o, config: 'no/such.yaml' }, /no\/such\.yaml:1:1: : cannot read the profile: no such file/],
    ['a model the profile lacks', { model: 'nope', config: 'profiles/demo.yaml' }, /the profile has no model "nope" \(it has llama-3-70b/],
    ['a model the demo lacks', { model: 'nope' }, /the demo profile has no model "nope"/],
  ])('refuses %s', async (_name, opts, message) => {
    const r = await resolveTarget(opts, {}, deps());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  it.each([
    [
      '--target without a scheme',
      { ...o, target: 'localhost:8080' },
      {},
      /^--target takes an http or https base URL .*, got "localhost:8080"$/,
    ],
    ['--target of another scheme', { ...o, target: 'ftp://gw.example/' }, {}, /^--target takes an http or https base URL/],
    ['--target that is no URL', { ...o, target: 'not a url', config: 'profiles/demo.yaml' }, {}, /^--target takes an http or https/],
    ['$AIGW_TARGET without a scheme', o, { AIGW_TARGET: 'gw.example:9000' }, /^\$AIGW_TARGET takes an http or https base URL/],
    ['$OPENAI_BASE_URL without a scheme', o, { OPENAI_BASE_URL: '127.0.0.1:4000/v1' }, /^\$OPENAI_BASE_URL takes an http/],
    ['$AIGW_DEMO_URL without a scheme', o, { AIGW_DEMO_URL: '127.0.0.1:8080' }, /^\$AIGW_DEMO_URL takes an http/],
    // undici sends no credentials taken from a URL: they were never sent, and printed with every line naming the target.
    [
      '--target with a user and password',
      { ...o, target: 'http://alice:s3cret-pw@gw.example:9000/v1' },
      {},
      /^--target holds a user name or password.*\(http:\/\/gw\.example:9000\)$/,
    ],
    ['$AIGW_TARGET with a user', o, { AIGW_TARGET: 'https://s3cret-pw@gw.example/' }, /^\$AIGW_TARGET holds a user name or password/],
    ['$OPENAI_BASE_URL with a password', o, { OPENAI_BASE_URL: 'http://:s3cret-pw@b:2/v1' }, /^\$OPENAI_BASE_URL holds a user name/],
    ['$AIGW_DEMO_URL with a user', o, { AIGW_DEMO_URL: 'http://s3cret-pw:@127.0.0.1:8080' }, /^\$AIGW_DEMO_URL holds a user name/],
    // Not URLs at all, yet holding a password: quoted without it.
    [
      '--target with a password and a bad port',
      { ...o, target: 'http://alice:s3cret-pw@gw:99999' },
      {},
      /^--target takes an http or https base URL .*, got "…@gw:99999"$/,
    ],
    ['--target with a password holding @ and a space', { ...o, target: ' http://alice:p@s3cret pw@gw:99999' }, {}, /, got "…@gw:99999"$/],
    [
      '$AIGW_TARGET with a password and no scheme',
      o,
      { AIGW_TARGET: 'alice:s3cret-pw@gw:8080' },
      /^\$AIGW_TARGET takes an http .*, got "…@gw:8080"$/,
    ],
  ])('refuses %s as a usage error, before any request', async (_name, opts, env, message) => {
    const d = deps({ answering: [DEMO_URL] });
    const r = await resolveTarget(opts, env, d);
    expect(r).toEqual({ ok: false, message: expect.stringMatching(message) });
    expect(r.ok || r.message).not.toContain('s3cret');
    expect(d.started).toEqual([]);
  });
});
