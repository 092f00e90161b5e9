/**
 * `aigw bench --model llama-3-70b` as a new user runs it: with nothing at the demo address it starts the
 * bundled demo; with a gateway already answering there it benches that one, with the demo's key, paced
 * under the tenant's limits. $AIGW_DEMO_URL points the demo address at a port of the test's choosing, so
 * these never depend on port 8080 being free or taken. Also: the HTML report, opened in headless Chromium.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AIGW, runAigw, startAigw } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';

const dir = mkdtempSync(join(tmpdir(), 'aigw-bench-one-'));
const CHROMIUM = '/usr/bin/chromium';

/** The user's environment without anything that would choose a target or a key for the bench. */
function env(demoUrl: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !['AIGW_TARGET', 'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'ACME_KEY', 'GLOBEX_KEY'].includes(k)) out[k] = v;
  return { ...out, AIGW_DEMO_URL: demoUrl };
}

async function runClean(args: string[], demoUrl: string) {
  const child = spawn(process.execPath, [AIGW, ...args], { env: env(demoUrl), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

const report = join(dir, 'started.json');
const html = join(dir, 'started.html');

describe('aigw bench with neither --target nor -c', () => {
  it('starts the bundled demo when nothing answers at the demo address, and passes', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const r = await runClean(
      ['bench', '--model', 'llama-3-70b', '--duration', '2s', '--long-sizes', '256Ki,2Mi', '--json', report, '--html', html],
      nobody,
    );
    expect(r.stderr.split('\n')[0]).toMatch(
      /^bench: nothing answers at http:\/\/127\.0\.0\.1:\d+ .* started .*profiles\/demo\.yaml: gateway http/,
    );
    expect(r.stdout).not.toMatch(/NaN/);
    expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
    const j = JSON.parse(readFileSync(report, 'utf8'));
    expect(Object.keys(j.scenarios)).toEqual(['throughput', 'stream', 'long', 'split', 'cancel', 'accounting', 'errors', 'ratelimit']);
    expect(j.scenarios.stream.metrics).toMatchObject({ completed: expect.any(Number), ttft: { median: expect.any(Number) } });
    expect(j.figures['throughput.failed']).toBe(0);
  }, 180_000);

  it('benches a gateway already answering at the demo address, with the demo key, paced under its limits', async () => {
    const demo = readFileSync('profiles/demo.yaml', 'utf8')
      .replace(/127\.0\.0\.1:(8080|9901)/g, '127.0.0.1:0')
      .replace(/http:\/\/127\.0\.0\.1:800\d/g, 'http://127.0.0.1:0');
    writeFileSync(join(dir, 'demo.yaml'), demo);
    const running = await startAigw(['serve', '-c', join(dir, 'demo.yaml'), '--mocks', '--log', 'off'], 6);
    try {
      const json = join(dir, 'running.json');
      const r = await runClean(
        ['bench', '--model', 'llama-3-70b', '--scenario', 'throughput', '--scenario', 'stream', '--duration', '3s', '--json', json],
        running.urls.gateway!,
      );
      const first = r.stderr.split('\n')[0];
      expect(first).toBe(
        `bench: a gateway is already answering at ${running.urls.gateway} (the demo address): ` +
          'benching it with the key from tenant acme of the demo profile',
      );
      expect(r.stderr).toMatch(/the target limits this key to 600 requests per 60s \(x-ratelimit-limit-requests\); pacing under 90%/);
      expect(r.stdout).not.toMatch(/NaN/);
      expect(r.code, `${r.stdout}${r.stderr}`).toBe(0);
      const j = JSON.parse(readFileSync(json, 'utf8'));
      // Paced under 600 RPM and 100k TPM: the only refusals are the first burst's concurrency ones (acme has 16
      // slots), which teach the pacer its ceiling; nothing is refused for requests or tokens.
      expect(j.figures['throughput.completed']).toBeGreaterThan(0);
      expect(j.figures['stream.completed']).toBeGreaterThan(0);
      for (const s of ['throughput', 'stream'])
        for (const x of j.scenarios[s].refusals)
          expect(x, `${s} refused ${JSON.stringify(x)}`).toMatchObject({ status: 429, type: 'concurrency' });
      expect(j.scenarios.throughput.metrics.duration_ms).toBeLessThan(6000);
    } finally {
      await running.stop('SIGKILL');
    }
  }, 120_000);
});

describe.skipIf(!existsSync(CHROMIUM))('the HTML report', () => {
  it('renders every chart in headless Chromium without a console error, with deltas against a baseline', async () => {
    const j = JSON.parse(readFileSync(report, 'utf8'));
    const worse = join(dir, 'worse.json');
    writeFileSync(worse, JSON.stringify({ ...j, figures: { ...j.figures, 'ttft.p50': (j.figures['ttft.p50'] ?? 1) * 3 + 10 } }));
    const compared = join(dir, 'compared.html');
    const c = await runAigw(['bench', '--compare', report, '--compare', worse, '--html', compared]);
    expect(c.stdout).toMatch(/REGRESSION ttft\.p50/);
    const page = readFileSync(compared, 'utf8');
    expect(page).not.toMatch(/<script|<link|src="http|url\(http/);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      const errors: string[] = [];
      tab.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      tab.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      tab.on('request', (q) => !q.url().startsWith('file:') && requests.push(q.url()));
      await tab.goto(`file://${compared}`);
      const shot = join(dir, 'report.png');
      await tab.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).length).toBeGreaterThan(10_000);
      const charts = await tab.$$eval('figure.chart', (figs) =>
        figs.map((f) => ({
          id: f.getAttribute('data-chart'),
          drawn: [...f.querySelectorAll('svg path, svg rect, svg circle')].filter((el) => {
            const b = (el as unknown as { getBBox(): { width: number; height: number } }).getBBox();
            return b.width > 0 || b.height > 0;
          }).length,
        })),
      );
      const ids = charts.map((x) => x.id);
      for (const id of ['cdf-throughput', 'cdf-stream', 'hist-ttft-stream', 'hist-itl-stream', 'split', 'ratelimit', 'long', 'compare'])
        expect(ids, `chart ${id}`).toContain(id);
      for (const ch of charts) expect(ch.drawn, `chart ${ch.id} draws something`).toBeGreaterThan(0);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

if (!existsSync(CHROMIUM)) process.stderr.write(`\nSKIPPED: the HTML report test needs ${CHROMIUM} (apt-get install chromium)\n\n`);
