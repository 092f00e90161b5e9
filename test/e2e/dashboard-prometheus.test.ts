/**
 * Envoy AI Gateway's official Grafana dashboard on aigw: a real Prometheus scrapes a live gateway's admin
 * /metrics every second while traffic (successes, streams, a 4xx, a failing backend) goes through, then every
 * PromQL expression of every panel is evaluated through Prometheus's HTTP API and must return data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { prometheusAvailable, usePrometheus } from '../helpers/prometheus.js';

const DASHBOARD = fileURLToPath(
  new URL('../../../shared/spec/envoy-ai-gateway/examples/monitoring/grafana-dashboard.json', import.meta.url),
);
const dashboardAvailable = existsSync(DASHBOARD);

if (!prometheusAvailable) console.warn('SKIPPED dashboard-prometheus: no `prometheus` binary (apt-get install prometheus)');
if (!dashboardAvailable) console.warn(`SKIPPED dashboard-prometheus: ${DASHBOARD} is missing (../shared next to the repo)`);

/**
 * Grafana's built-in variables, as Grafana fills them for a dashboard scraped every 15 s and viewed over its
 * default range: $__rate_interval = max($__interval + scrape interval, 4 × scrape interval) = 1m. The current
 * dashboard uses none (its windows are literal), but a newer one may: anything else with a `$` fails loudly.
 */
export const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '15m',
  __range_s: '900',
  __range_ms: '900000',
};

/**
 * Expressions no aigw traffic can make return data, with the reason. Empty today: every panel works. A panel
 * listed here is still evaluated (it must stay a valid expression), but an empty result is accepted.
 */
export const IMPOSSIBLE_BY_DESIGN: Readonly<Record<string, string>> = {};

interface Panel {
  title?: string;
  targets?: { refId?: string; expr?: string }[];
  panels?: Panel[];
}

function expressions(): { name: string; expr: string }[] {
  const board = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating?: { list?: { name: string }[] } };
  const templated = new Set((board.templating?.list ?? []).map((v) => v.name));
  const out: { name: string; expr: string }[] = [];
  const walk = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) {
        if (!t.expr) continue;
        const expr = t.expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a?: string, b?: string, c?: string) => {
          const name = (a ?? b ?? c)!;
          if (name in GRAFANA_VARIABLES) return GRAFANA_VARIABLES[name]!;
          // A dashboard variable left at "All" matches everything.
          if (templated.has(name)) return '.*';
          throw new Error(`unknown Grafana variable ${whole} in panel "${p.title}": add it to GRAFANA_VARIABLES`);
        });
        out.push({ name: `${p.title} [${t.refId ?? '?'}]`, expr });
      }
      walk(p.panels ?? []);
    }
  };
  walk(board.panels);
  return out;
}

describe.skipIf(!prometheusAvailable || !dashboardAvailable)("Envoy AI Gateway's dashboard on a real Prometheus", () => {
  it('returns data for every expression of every panel after traffic', { timeout: 90_000 }, async () => {
    // The one use of the gateway test harness (its signature may change with the gateway core).
    const gw = await useGateway(`
version: 1
backends:
  good: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [meta/llama-3], ttft: 5ms, prefixCache: {} } }
  broken: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [meta/llama-3], faults: { rate: 1, kinds: ["status:500"] } } }
  emb: { url: http://127.0.0.1:0, mock: { kind: tei, models: [bge] } }
models:
  llama: { targets: [{ backend: good, model: meta/llama-3 }] }
  flaky: { targets: [{ backend: broken, model: meta/llama-3 }] }
  bge: { targets: [{ backend: emb }] }
`);
    const prom = await usePrometheus(gw.adminUrl);
    const post = (path: string, body: object) =>
      fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // A shared system prompt several blocks long: the mock's prefix cache serves it again, so cached_input has real values.
    const system = 'You are a careful assistant. '.repeat(20);
    const messages = [
      { role: 'system', content: system },
      { role: 'user', content: 'hello' },
    ];
    const chat = (model: string, extra: object = {}) => post('/v1/chat/completions', { model, messages, max_tokens: 12, ...extra });

    // Two rounds with a scrape between them, so every rate() sees an increase.
    const statuses: number[] = [];
    const round = async () => {
      for (let i = 0; i < 4; i++) {
        const answers = [
          chat('llama'),
          chat('llama', { stream: true, stream_options: { include_usage: true } }),
          post('/v1/completions', { model: 'llama', prompt: 'hi', max_tokens: 5 }),
          post('/v1/embeddings', { model: 'bge', input: 'hello' }),
          chat('flaky'),
          chat('no-such-model'),
        ];
        for (const r of await Promise.all(answers)) {
          statuses.push(r.status);
          await r.arrayBuffer();
        }
      }
    };
    await round();
    await prom.waitForScrapes(2);
    await round();
    await prom.waitForScrapes(2);

    // The failing backend answers 502 until it is ejected, then 503: both are failures the panels must count.
    expect(statuses.filter((s) => s === 404)).toHaveLength(8);
    expect(statuses.filter((s) => s >= 500)).toHaveLength(8);
    expect((await prom.query('up{job="aigw"}'))[0]?.value[1]).toBe('1');

    const empty: string[] = [];
    const exprs = expressions();
    expect(exprs.length).toBeGreaterThan(10);
    for (const { name, expr } of exprs) {
      const result = await prom.query(expr);
      const values = result.map((s) => Number(s.value[1]));
      if (name in IMPOSSIBLE_BY_DESIGN) continue;
      // A panel that groups by a label must get that label: grouping by a missing one still "returns data".
      const grouped = [...expr.matchAll(/\bby \(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((l) => l.trim()));
      const missing = grouped.filter((l) => l !== 'le' && result.some((r) => !r.metric[l]));
      if (result.length === 0 || values.some((v) => !Number.isFinite(v)) || missing.length > 0)
        empty.push(`${name}: ${expr} → ${JSON.stringify(result)}`);
    }
    expect(empty).toEqual([]);

    // What the panels show is what was sent: 16 chat + 8 completions + 8 embeddings + 8 failing + 8 unknown model.
    const total = await prom.query('sum(gen_ai_server_request_duration_seconds_count)');
    expect(Number(total[0]!.value[1])).toBe(statuses.length);
    const errors = await prom.query('sum by (error_type) (gen_ai_server_request_duration_seconds_count{error_type!=""})');
    const byType = Object.fromEntries(errors.map((s) => [s.metric.error_type, Number(s.value[1])]));
    expect(byType.model_not_found).toBe(8);
    expect((byType.upstream_error ?? 0) + (byType.no_healthy_backend ?? 0)).toBe(8);
    const byModel = await prom.query(
      'sum by (gen_ai_original_model, gen_ai_response_model, gen_ai_provider_name) (gen_ai_server_request_duration_seconds_count)',
    );
    const key = (m: Record<string, string>) => `${m.gen_ai_original_model}→${m.gen_ai_response_model} (${m.gen_ai_provider_name})`;
    const counts = Object.fromEntries(byModel.map((s) => [key(s.metric), Number(s.value[1])]));
    expect(counts).toMatchObject({ 'llama→meta/llama-3 (openai)': 24, 'bge→bge (openai)': 8, 'unknown→unknown (unknown)': 8 });
    // Once the failing backend is ejected no backend is tried, so no provider is known for those requests.
    expect((counts['flaky→unknown (openai)'] ?? 0) + (counts['flaky→unknown (unknown)'] ?? 0)).toBe(8);
    const types = await prom.query('sum by (gen_ai_token_type) (gen_ai_client_token_usage_sum)');
    const byTokenType = Object.fromEntries(types.map((s) => [s.metric.gen_ai_token_type, Number(s.value[1])]));
    expect(Object.keys(byTokenType).sort()).toEqual(['cached_input', 'input', 'output', 'total']);
    // The prefix cache served part of the prompts: the count comes from the backend's usage, never above the input.
    expect(byTokenType.cached_input).toBeGreaterThan(0);
    expect(byTokenType.cached_input).toBeLessThan(byTokenType.input!);
  });
});
