/**
 * The bridge as users run it (issue 11): `aigw export envoy`, `aigw import envoy`, and `validate` / `serve` /
 * `bench -c` reading Envoy AI Gateway manifests with `--mock-all` — real processes, the official client as judge.
 */
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runAigw, startAigw } from '../helpers/cli.js';
import { crdsAvailable, EXAMPLES_DIR } from '../unit/bridge/crd-validate.js';
import { EXAMPLES, loadExample } from '../unit/bridge/examples.js';
import { aliasBomb, apiKeys, BASE, docs } from '../unit/bridge/manifests.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bridge-cli-'));
const CANARY = 'sk-canary-bridge-7f3a';

describe('aigw export envoy', () => {
  it('prints the golden demo export on stdout and every warning on stderr', async () => {
    const r = await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync('fixtures/envoy/demo.yaml', 'utf8'));
    for (const w of readFileSync('fixtures/envoy/demo.warnings', 'utf8').trim().split('\n')) expect(r.stderr).toContain(`warning: ${w}`);
  });

  it('-o DIR writes one file per kind; --include-secrets puts the real key there (and only then), readable by the owner only', async () => {
    const out = join(dir, 'with-secrets');
    const r = await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml', '-o', out, '--include-secrets'], { ACME_KEY: CANARY });
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(
      [
        'aigatewayroute',
        'aiservicebackend',
        'backend',
        'backendtrafficpolicy',
        'clienttrafficpolicy',
        'gateway',
        'gatewayclass',
        'secret',
        'securitypolicy',
      ].map((k) => `${k}.yaml`),
    );
    expect(readFileSync(join(out, 'secret.yaml'), 'utf8')).toContain(`acme: ${CANARY}`);
    expect(statSync(join(out, 'secret.yaml')).mode & 0o077).toBe(0);
    const plain = await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml'], { ACME_KEY: CANARY });
    expect(plain.stdout + plain.stderr).not.toContain(CANARY);
  });

  it('needs no secret to export, but --include-secrets names the one that is missing', async () => {
    const file = join(dir, 'keyed.yaml');
    writeFileSync(
      file,
      'version: 1\nbackends:\n  a: { url: "https://api.example.com", apiKey: "${SURELY_UNSET_BRIDGE_KEY}" }\n' +
        'models:\n  m: { targets: [{ backend: a }] }\n',
    );
    const r = await runAigw(['export', 'envoy', '-c', file, '--namespace', 'ai', '--gateway', 'edge']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('apiKey: ${SURELY_UNSET_BRIDGE_KEY}');
    expect(r.stdout).toMatch(/kind: AIGatewayRoute\nmetadata:\n {2}name: edge\n {2}namespace: ai/);
    const strict = await runAigw(['export', 'envoy', '-c', file, '--include-secrets']);
    expect(strict.code).toBe(2);
    expect(strict.stderr).toMatch(/keyed.yaml:3:\d+: error: backends.a.apiKey: environment variable SURELY_UNSET_BRIDGE_KEY is not set/);
    const bad = await runAigw(['export', 'envoy', '-c', file, '--gateway', 'Not_OK']);
    expect(bad.code).toBe(2);
  });
});

describe.skipIf(!crdsAvailable)('aigw import envoy and validate -c MANIFESTS', () => {
  it('import prints a profile, and lists warnings and skipped objects with FILE:LINE:COL', async () => {
    const basic = join(EXAMPLES_DIR, 'basic/basic.yaml');
    const r = await runAigw(['import', 'envoy', basic]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^# Imported by aigw from/);
    expect(r.stdout).toContain('onOverflow: envoy');
    expect(r.stderr).toContain(`${basic}:125:1: skipped: Service/default/envoy-ai-gateway-basic-testupstream:`);
    const out = join(dir, 'imported.yaml');
    const w = await runAigw(['import', 'envoy', basic, '-o', out]);
    expect(w.stderr).toContain(`wrote ${out}: 1 models, 1 backends, 0 tenants, buffer 50Mi`);
    expect((await runAigw(['validate', '-c', out])).code).toBe(0);
    const notManifests = await runAigw(['import', 'envoy', 'profiles/demo.yaml']);
    expect(notManifests.code).toBe(2);
    expect(notManifests.stderr).toContain('not Envoy AI Gateway manifests');
  });

  it('validate reads manifests directly: ok with warnings and skipped, or the missing variable named', async () => {
    const openai = join(EXAMPLES_DIR, 'basic/openai.yaml');
    const missing = await runAigw(['validate', '-c', openai]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/openai.yaml:\d+:\d+: error: backends.envoy-ai-gateway-basic-openai.apiKey: environment variable/);
    const ok = await runAigw(['validate', '-c', openai], { ENVOY_AI_GATEWAY_BASIC_OPENAI_APIKEY: CANARY });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/ok — 1 models, 1 backends, 0 tenants, \d+ warnings/);
    expect(ok.stdout + ok.stderr).not.toContain(CANARY);
    expect((await runAigw(['validate', '-c', openai, '--mock-all'])).code).toBe(0);
  });
});

describe.skipIf(!crdsAvailable)('serve -c EXAMPLE --mock-all answers a chat request for each model it declares', () => {
  const runnable = EXAMPLES.filter(
    (e) => !e.name.endsWith('.yaml') || !EXAMPLES.some((o) => o !== e && o.files.length > 1 && o.files.includes(e.files[0]!)),
  );
  for (const e of runnable) {
    it(e.name, async () => {
      const { result } = await loadExample(e, true);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const target = e.files.length > 1 ? join(e.files[0]!, '..') : e.files[0]!;
      const backends = Object.keys(result.profile.backends).length;
      const gw = await startAigw(
        ['serve', '-c', target, '--mock-all', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'],
        backends + 2,
      );
      const client = new OpenAI({ baseURL: `${gw.urls.gateway}/v1`, apiKey: 'none', maxRetries: 0 });
      const listed = (await client.models.list()).data.map((m) => m.id);
      expect(listed.sort()).toEqual([...e.models].sort());
      for (const model of e.models) {
        const c = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 8 });
        expect(c.choices[0]!.message.content!.split(' ')).toHaveLength(8);
      }
      await gw.stop();
    });
  }
});

describe('serve -c PROFILE --mock-all', () => {
  it('runs a production profile on a laptop: no credentials, every backend a mock of its kind', async () => {
    const file = join(dir, 'prod.yaml');
    writeFileSync(
      file,
      'version: 1\nbackends:\n  openai: { url: "https://api.openai.com", apiKey: "${SURELY_UNSET_OPENAI_KEY}" }\n' +
        '  emb: { url: "http://10.0.0.9:8080", mock: { kind: tei, dimensions: 8 } }\n' +
        'models:\n  gpt-4o: { targets: [{ backend: openai }] }\n  embed: { targets: [{ backend: emb }] }\n',
    );
    const gw = await startAigw(['serve', '-c', file, '--mock-all', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'], 4);
    expect(gw.stdout()).toMatch(/^mock emb \(tei\) listening on http:\/\/127\.0\.0\.1:\d+$/m);
    const client = new OpenAI({ baseURL: `${gw.urls.gateway}/v1`, apiKey: 'none', maxRetries: 0 });
    const c = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 });
    expect(c.choices[0]!.message.content!.split(' ')).toHaveLength(4);
    const e = await client.embeddings.create({ model: 'embed', input: 'hi' });
    expect(e.data[0]!.embedding).toHaveLength(8);
    await gw.stop();
  });
});

describe.skipIf(!crdsAvailable)('the round trip runs', () => {
  it('export the demo, serve the export with --mock-all: every model answers', async () => {
    const exported = join(dir, 'demo-envoy.yaml');
    writeFileSync(exported, (await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml'])).stdout);
    const gw = await startAigw(
      ['serve', '-c', exported, '--mock-all', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', '--log', 'off'],
      6,
      { ACME_KEY: CANARY, GLOBEX_KEY: `${CANARY}-globex` },
    );
    const client = new OpenAI({ baseURL: `${gw.urls.gateway}/v1`, apiKey: CANARY, maxRetries: 0 });
    for (const model of ['llama-3-70b', 'qwen-2.5-72b', 'bge-large-en']) {
      const c = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3 });
      expect(c.choices[0]!.message.content).toBeTruthy();
    }
    await gw.stop();
  });
});

describe.skipIf(!crdsAvailable)('bench -c MANIFESTS --mock-all', () => {
  it("shows what the cluster does with openai.yaml's 32Ki buffer: every non-streamed long answer a 500, every stream whole", async () => {
    const json = join(dir, 'bench.json');
    const r = await runAigw([
      'bench',
      '-c',
      join(EXAMPLES_DIR, 'basic/openai.yaml'),
      '--mock-all',
      '--model',
      'gpt-4o-mini',
      '--scenario',
      'long,split',
      '--duration',
      '1s',
      '--connections',
      '2',
      '--json',
      json,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/256KiB body\s+error HTTP 500/);
    expect(r.stdout).toMatch(/64MiB stream complete/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.figures['long.errors']).toBe(5);
    // The 500s are sizes not measured (Envoy's local reply holds none of the answer): no 0 for `truncations==0` to pass.
    expect(report.figures['long.truncations']).toBeNull();
    expect(r.stdout).toMatch(/none of the \d+ measured \(the rest unknown\) truncated, 5 errors/);
    expect(report.figures['split.requests']).toBeGreaterThan(0);
  }, 180_000);
});

describe('hostile or mistaken input is a clear problem and exit 2, never an unexpected failure', () => {
  const file = (name: string, text: string) => {
    const f = join(dir, name);
    writeFileSync(f, text);
    return f;
  };

  it('an alias bomb or an alias inside its own anchor: import, validate and serve stop at once', async () => {
    const bomb = file('bomb.yaml', docs(aliasBomb(7), BASE));
    const cycle = file('cycle.yaml', docs(BASE, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: &x {a: *x}\n'));
    for (const args of [
      ['import', 'envoy', bomb],
      ['validate', '-c', bomb],
      ['serve', '-c', bomb, '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0'],
    ]) {
      const r = await runAigw(args);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/bomb.yaml:\d+:\d+: error: aliases expand to more than 100000 values/);
    }
    const c = await runAigw(['import', 'envoy', cycle]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/cycle.yaml:\d+:\d+: error: alias \*x is inside the value it names/);
  });

  it('a control character in a name is printed escaped: it cannot clear the screen or forge a line', async () => {
    const f = file(
      'ansi.yaml',
      docs(BASE, 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "x\\e[2J\\nansi.yaml:1:1: error: forged"}\n'),
    );
    const r = await runAigw(['validate', '-c', f]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('\u001b');
    expect(r.stderr).toContain('skipped: ConfigMap/default/x\\x1b[2J\\nansi.yaml:1:1: error: forged: workload data');
    expect(r.stderr).not.toMatch(/^ansi.yaml:1:1: error/m);
  });

  it('import lists at most 100 skipped objects and counts the rest (a cluster dump of hundreds of Services)', async () => {
    const services = Array.from(
      { length: 250 },
      (_, i) => `apiVersion: v1\nkind: Service\nmetadata: {name: s${i}}\nspec: {ports: [{port: 80}]}`,
    );
    const m = join(dir, 'services.yaml');
    writeFileSync(m, docs(BASE, ...services));
    const r = await runAigw(['import', 'envoy', m]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/: skipped: Service\//g)).toHaveLength(100);
    expect(r.stderr).toContain('and 150 more objects skipped, not listed');
  });

  it('import of a file that does not exist says so', async () => {
    const r = await runAigw(['import', 'envoy', join(dir, 'nosuch.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nosuch.yaml:1:1: error: cannot read the profile: no such file');
    expect(r.stderr).not.toContain('not Envoy AI Gateway manifests');
  });

  it('import -o into a missing directory, export -o onto a file: exit 2 naming the path', async () => {
    const m = file('base.yaml', BASE);
    const imp = await runAigw(['import', 'envoy', m, '-o', join(dir, 'nodir', 'p.yaml')]);
    expect(imp.code).toBe(2);
    expect(imp.stderr).toMatch(/^aigw: cannot write .*nodir\/p.yaml: no such directory$/m);
    const exp = await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml', '-o', m]);
    expect(exp.code).toBe(2);
    expect(exp.stderr).toMatch(/^aigw: -o takes a directory: cannot create .*base.yaml: /m);
  });

  it('import of several API-key tenants whose keys are unset, and export of their profile', async () => {
    const m = file('tenants.yaml', docs(BASE, apiKeys({ alice: '${SURELY_UNSET_ALICE}', bob: '${SURELY_UNSET_BOB}' })));
    const out = join(dir, 'tenants-profile.yaml');
    const imp = await runAigw(['import', 'envoy', m, '-o', out]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stderr).toContain('1 models, 1 backends, 2 tenants');
    const exp = await runAigw(['export', 'envoy', '-c', out]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toMatch(/alice: \$\{SURELY_UNSET_ALICE\}\n\s+bob: \$\{SURELY_UNSET_BOB\}/);
  });

  it('export -o --include-secrets over an earlier export leaves the real key readable by the owner only', async () => {
    const out = join(dir, 'again');
    // An earlier export's secret.yaml (a file no export wrote is refused, 5a2c45b), left readable by all.
    const first = await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml', '-o', out]);
    expect(first.code, first.stderr).toBe(0);
    chmodSync(join(out, 'secret.yaml'), 0o644);
    const r = await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml', '-o', out, '--include-secrets'], { ACME_KEY: CANARY });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'secret.yaml'), 'utf8')).toContain(CANARY);
    expect(statSync(join(out, 'secret.yaml')).mode & 0o077).toBe(0);
  });

  it("export -o into an earlier export's directory removes that export's files this profile makes no object for, and nothing else", async () => {
    const out = join(dir, 'stale');
    const first = await runAigw(['export', 'envoy', '-c', 'profiles/demo.yaml', '-o', out, '--include-secrets'], { ACME_KEY: CANARY });
    expect(first.code, first.stderr).toBe(0);
    expect(readFileSync(join(out, 'secret.yaml'), 'utf8')).toContain(CANARY);
    // The user's own files: one named as a kind's would be, a link to an export's file, and one of another name.
    writeFileSync(join(out, 'backendtlspolicy.yaml'), '# mine\nkind: BackendTLSPolicy\n');
    copyFileSync(join(out, 'securitypolicy.yaml'), join(dir, 'kept-securitypolicy.yaml'));
    symlinkSync(join(dir, 'kept-securitypolicy.yaml'), join(out, 'linked.yaml'));
    writeFileSync(join(out, 'README'), 'notes\n');
    // No tenants: no Secret, no SecurityPolicy.
    const profile = join(dir, 'no-tenants.yaml');
    writeFileSync(
      profile,
      'version: 1\nlisten: 127.0.0.1:8080\nbackends:\n  a: { url: "http://127.0.0.1:8001" }\nmodels:\n  m: { targets: [{ backend: a }] }\n',
    );
    const again = await runAigw(['export', 'envoy', '-c', profile, '-o', out]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`removed ${join(out, 'secret.yaml')}: an earlier export's`);
    expect(again.stderr).toContain(`removed ${join(out, 'securitypolicy.yaml')}: an earlier export's`);
    const left = readdirSync(out).sort();
    expect(left).not.toContain('secret.yaml');
    expect(left).not.toContain('securitypolicy.yaml');
    expect(left).toEqual(expect.arrayContaining(['README', 'backendtlspolicy.yaml', 'linked.yaml', 'gateway.yaml', 'backend.yaml']));
    for (const f of left) expect(readFileSync(join(out, f), 'utf8')).not.toContain(CANARY);
    // What it wrote says so on its first line, and reads as the same manifests.
    const gateway = readFileSync(join(out, 'gateway.yaml'), 'utf8');
    expect(gateway.split('\n')[0]).toMatch(/^# Written by `aigw export envoy -o`/);
    const read = parseAllDocuments(gateway);
    expect(read.flatMap((d) => d.errors)).toEqual([]);
    expect(read.map((d) => (d.toJS() as { kind: string }).kind)).toEqual(['Gateway']);
  });
});

if (!crdsAvailable) {
  console.warn('\n*** bridge e2e: ../shared/spec/envoy-ai-gateway is missing — the example-based cases are SKIPPED ***\n');
}
