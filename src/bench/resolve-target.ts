/**
 * Which gateway the bench judges when run as `aigw bench --model M`: `--target`; else `-c PROFILE`
 * (started by the bench); else `$AIGW_TARGET` / `$OPENAI_BASE_URL`; else a gateway already answering at
 * the demo address (`$AIGW_DEMO_URL`, default http://127.0.0.1:8080); else the bundled demo profile,
 * started as `-c` would. `how` is the first line the bench prints: which of these it chose.
 */
import type { Profile } from '../profile/schema.js';
import type { BenchTarget } from './context.js';
import { sideAnswer, sideText } from './side-read.js';
import { type BenchProfile, DEMO_PROFILE, loadBenchProfile, type StartedProfile, startProfile } from './target.js';

export const DEMO_URL = 'http://127.0.0.1:8080';

export interface ResolvedTarget {
  target: BenchTarget;
  bp: BenchProfile | undefined;
  apiKey: string | undefined;
  limitedKey: string | undefined;
  how: string;
  stop?: () => Promise<void>;
}

export type Resolution = { ok: true; value: ResolvedTarget } | { ok: false; message: string };

export interface TargetOptions {
  target?: string | undefined;
  config?: string | undefined;
  apiKey?: string | undefined;
  model: string;
  /** With -c: replace every backend of the profile (or manifests) by a mock of its kind. */
  mockAll?: boolean | undefined;
}

/** What resolution needs from the world; tests replace it. */
export interface TargetDeps {
  probe(url: string): Promise<boolean>;
  models(url: string, key: string | undefined): Promise<string[] | undefined>;
  load(file: string, opts?: { mockAll?: boolean }): ReturnType<typeof loadBenchProfile>;
  start(bp: BenchProfile): Promise<StartedProfile>;
}

const normalize = (url: string) => url.replace(/\/+$/, '').replace(/\/v1$/, '');

/**
 * A base URL the bench can send to (http or https, with a host), normalized; else why not, for `from`. `--target
 * localhost:8080` (no scheme) is a URL of the scheme `localhost:` to WHATWG: taken as given, the load scenarios threw
 * undici's 'invalid url' after the target line was printed, and the run ended with no report. A user name or
 * password in it (`http://alice:secret@gw`) was never sent — undici's requests take no credentials from a URL — and
 * was printed on every line naming the target and written into the --json and --html reports: refused, unechoed.
 */
function httpBase(raw: string, from: string): { ok: true; url: string } | { ok: false; message: string } {
  const url = normalize(raw.trim());
  let u: URL | undefined;
  try {
    u = new URL(url);
  } catch {}
  if (u && (u.username || u.password)) {
    return {
      ok: false,
      message: `${from} holds a user name or password, which the bench would not send but would print in its report: give the key with --api-key or $OPENAI_API_KEY, and the URL without it (${u.protocol}//${u.host})`,
    };
  }
  if (u && (u.protocol === 'http:' || u.protocol === 'https:') && u.host) return { ok: true, url };
  // Quoted without what stands before an `@`: a URL that did not parse (a bad port, no scheme) may still hold a password.
  const at = raw.lastIndexOf('@');
  const shown = (at < 0 ? raw : `…${raw.slice(at)}`).slice(0, 200);
  return { ok: false, message: `${from} takes an http or https base URL such as http://127.0.0.1:8080, got "${shown}"` };
}

/**
 * The probes of the demo address read as the bench's side reads are (side-read.ts), within 2 s and 8 MiB. They read
 * whole bodies (undici's body.text()) from whatever listens there — any local process, on a shared machine anyone's:
 * one answering /healthz or /v1/models with an endless body at loopback speed had the bench hold all it sent in 2 s
 * (750 MB for one /v1/models in the test), once per probe and per key tried, before a word was printed — and then
 * took it for nothing there, its bodies never ending within the probe. Any answer is something there.
 */
const PROBE_MS = 2000;

export const realDeps: TargetDeps = {
  // Any answer, whatever its status or body: something is there.
  probe: async (url) =>
    (await sideAnswer(`${url}/healthz`, { timeoutMs: PROBE_MS, maxBytes: 0 })) !== undefined ||
    (await sideAnswer(`${url}/v1/models`, { timeoutMs: PROBE_MS, maxBytes: 0 })) !== undefined,
  models: async (url, key) => {
    const r = await sideText(`${url}/v1/models`, { headers: key ? { authorization: `Bearer ${key}` } : {}, timeoutMs: PROBE_MS });
    if (r === undefined) return undefined;
    try {
      return ((JSON.parse(r) as { data?: { id?: unknown }[] }).data ?? []).map((m) => String(m.id));
    } catch {
      return undefined;
    }
  },
  load: (file, opts) => loadBenchProfile(file, process.env, opts),
  start: startProfile,
};

/** The plain keys of tenants allowed to use the model (with a TPM limit, when `limited`), with their tenant. */
export function keysFromProfile(p: Profile | undefined, model: string, limited: boolean): { tenant: string; key: string }[] {
  const out: { tenant: string; key: string }[] = [];
  for (const [tenant, t] of Object.entries(p?.tenants ?? {})) {
    if ((t.models && !t.models.includes(model)) || (limited && !t.limits?.tpm)) continue;
    for (const key of t.keys) if (!key.startsWith('sha256:')) out.push({ tenant, key });
  }
  return out;
}

/** The profile's admin and mocks, when the target is the address the profile listens on (it is that gateway). */
function fromUrl(url: string, bp: BenchProfile | undefined, trustMocks: boolean): BenchTarget {
  const target: BenchTarget = { url, mocks: {} };
  if (!bp) return target;
  const same = new URL(url).host === bp.profile.listen;
  if (same || trustMocks) {
    target.backends = {};
    for (const [name, b] of Object.entries(bp.profile.backends)) {
      target.backends[name] = b.url;
      if (b.mock) target.mocks[name] = b.url;
    }
  }
  if (same && bp.profile.admin.enabled) {
    target.admin = `http://${bp.profile.admin.listen}`;
    if (bp.profile.admin.key) target.adminKey = bp.profile.admin.key;
  }
  return target;
}

async function started(bp: BenchProfile, deps: TargetDeps, o: TargetOptions, why: string): Promise<ResolvedTarget> {
  const s = await deps.start(bp);
  const admin = s.target.admin ? `, admin ${s.target.admin}` : '';
  return {
    target: s.target,
    bp,
    apiKey: o.apiKey ?? s.benchKey ?? keysFromProfile(bp.profile, o.model, false)[0]?.key,
    limitedKey: keysFromProfile(bp.profile, o.model, true)[0]?.key,
    how: `bench: ${why}: started ${bp.file}: gateway ${s.target.url}${admin}`,
    stop: s.stop,
  };
}

export async function resolveTarget(
  o: TargetOptions,
  env: NodeJS.ProcessEnv = process.env,
  deps: TargetDeps = realDeps,
): Promise<Resolution> {
  let bp: BenchProfile | undefined;
  if (o.config) {
    const r = await deps.load(o.config, { mockAll: o.mockAll === true });
    if (!r.ok) return { ok: false, message: r.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`).join('\n') };
    bp = r.value;
    if (!bp.profile.models[o.model])
      return { ok: false, message: `the profile has no model "${o.model}" (it has ${Object.keys(bp.profile.models).join(', ')})` };
  }
  const limitedKey = keysFromProfile(bp?.profile, o.model, true)[0]?.key;
  if (o.target) {
    const base = httpBase(o.target, '--target');
    if (!base.ok) return base;
    const url = base.url;
    const apiKey = o.apiKey ?? env.OPENAI_API_KEY ?? keysFromProfile(bp?.profile, o.model, false)[0]?.key;
    return { ok: true, value: { target: fromUrl(url, bp, true), bp, apiKey, limitedKey, how: `bench: target ${url} (--target)` } };
  }
  if (bp) return { ok: true, value: await started(bp, deps, o, '-c') };
  const fromEnv = env.AIGW_TARGET ? 'AIGW_TARGET' : env.OPENAI_BASE_URL ? 'OPENAI_BASE_URL' : undefined;
  if (fromEnv) {
    const base = httpBase(env[fromEnv]!, `$${fromEnv}`);
    if (!base.ok) return base;
    const url = base.url;
    return {
      ok: true,
      value: {
        target: { url, mocks: {} },
        bp,
        apiKey: o.apiKey ?? env.OPENAI_API_KEY,
        limitedKey,
        how: `bench: target ${url} (from $${fromEnv})`,
      },
    };
  }
  const demoBase = httpBase(env.AIGW_DEMO_URL || DEMO_URL, '$AIGW_DEMO_URL');
  if (!demoBase.ok) return demoBase;
  const demoUrl = demoBase.url;
  const demo = await deps.load(DEMO_PROFILE);
  if (!demo.ok) return { ok: false, message: `the bundled demo profile does not load: ${demo.problems.map((p) => p.message).join('; ')}` };
  if (await deps.probe(demoUrl)) {
    // The demo (most likely): its keys, weights and, at its own address, its admin and mocks.
    const candidates = [
      ...(o.apiKey ? [{ key: o.apiKey, from: '--api-key' }] : []),
      ...(env.OPENAI_API_KEY ? [{ key: env.OPENAI_API_KEY, from: '$OPENAI_API_KEY' }] : []),
      ...keysFromProfile(demo.value.profile, o.model, false).map((k) => ({ key: k.key, from: `tenant ${k.tenant} of the demo profile` })),
    ];
    let chosen = o.apiKey ? candidates[0] : undefined;
    for (const c of o.apiKey ? [] : candidates) {
      if ((await deps.models(demoUrl, c.key))?.includes(o.model)) {
        chosen = c;
        break;
      }
    }
    chosen ??= candidates[0];
    const hint = (await deps.models(demoUrl, chosen?.key))?.includes(o.model) ? demo.value : undefined;
    return {
      ok: true,
      value: {
        target: fromUrl(demoUrl, hint, false),
        bp: hint,
        apiKey: chosen?.key,
        limitedKey: keysFromProfile(hint?.profile, o.model, true)[0]?.key,
        how:
          `bench: a gateway is already answering at ${demoUrl} (the demo address): benching it` +
          `${chosen ? ` with the key from ${chosen.from}` : ''}`,
      },
    };
  }
  if (!demo.value.profile.models[o.model])
    return { ok: false, message: `nothing answers at ${demoUrl}, and the demo profile has no model "${o.model}" (try llama-3-70b)` };
  return { ok: true, value: await started(demo.value, deps, o, `nothing answers at ${demoUrl} and no --target, -c or $AIGW_TARGET`) };
}
