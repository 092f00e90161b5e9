/** Presentational panels of the TUI: they render a TuiState slice and nothing else. */
import { Box, Text } from 'ink';
import { REFUSAL_ROWS, routingNeed } from './layout.js';
import { type BackendView, type LogLine, refusalsByTenant, refusedTotal, type StatsView } from './model.js';

const BLOCKS = ' ▁▂▃▄▅▆▇█';

export function sparkline(values: readonly number[], width: number): string {
  const xs = values.slice(-width);
  const max = Math.max(1, ...xs);
  return xs.map((v) => BLOCKS[Math.round((v / max) * (BLOCKS.length - 1))]).join('');
}

export function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(Math.max(0, width - full));
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e4 ? `${(x / 1e3).toFixed(1)}k` : String(Math.round(x)));

function Panel({ title, focused, children }: { title: string; focused: boolean; children: React.ReactNode }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor={focused ? 'cyan' : 'gray'} paddingX={1}>
      {/* One row, as layout.ts counts it: wrapped in a narrow terminal, a title pushed the panels below past their rows. */}
      <Text bold color={focused ? 'cyan' : undefined} wrap="truncate-end">
        {title}
      </Text>
      {children}
    </Box>
  );
}

/** `–` when there is nothing behind a figure (a TTFT of 0 with no streamed sample is not 0 ms). */
export const ttftText = (b: Pick<BackendView, 'ttftMs' | 'ttftSamples'>) =>
  b.ttftSamples === 0 ? '–'.padStart(4) : b.ttftMs.p50.toFixed(0).padStart(4);

/** `–` when no answer is behind the latency (every request its client left): 0 ms would read as a fast backend. */
export const latencyText = (b: Pick<BackendView, 'latencyMs' | 'latencySamples'>, q: 'p50' | 'p99') =>
  b.latencySamples === 0 ? '–'.padStart(5) : b.latencyMs[q].toFixed(0).padStart(5);

function BackendRow({ name, b, width }: { name: string; b: BackendView; width: number }) {
  const barWidth = Math.max(6, Math.min(20, width - 90));
  const off = Math.abs(b.share - b.expectedShare) > 0.02 && b.requests > 50;
  return (
    <Text wrap="truncate-end">
      {'  '}
      {name.padEnd(18).slice(0, 18)} {String(b.requests).padStart(7)} {bar(b.share, barWidth)}{' '}
      <Text color={off ? 'yellow' : 'green'}>{pct(b.share).padStart(6)}</Text>
      <Text dimColor>/{pct(b.expectedShare).padStart(6)}</Text> err {String(b.errors).padStart(4)} p50 {latencyText(b, 'p50')}ms p99{' '}
      {latencyText(b, 'p99')}ms ttft {ttftText(b)}ms
      {b.inflight ? ` ⇄${b.inflight}` : ''}
      {b.ejected ? <Text color="red"> EJECTED</Text> : null}
    </Text>
  );
}

/** "…and 3 more models, 7 more backends": what a panel cut to the terminal's height leaves out. */
function More({ parts }: { parts: [number, string][] }) {
  const said = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} more ${what}`);
  return said.length ? (
    <Text dimColor wrap="truncate-end">
      {' '}
      …and {said.join(', ')} (a taller terminal shows more)
    </Text>
  ) : null;
}

/** A panel listing what the admin listener sent, in at most `rows` lines (layout.ts shares them out). */
interface ListPanelProps {
  stats: StatsView | undefined;
  focused: boolean;
  width: number;
  rows?: number;
}

/**
 * Models and their backends, at most `rows` lines: only the rows drawn are built (a listener may send
 * thousands of models), the last one kept for what did not fit.
 */
export function RoutingPanel({ stats, focused, width, rows = Number.POSITIVE_INFINITY }: ListPanelProps) {
  const budget = routingNeed(stats) <= rows ? rows : rows - 1;
  const lines: React.ReactNode[] = [];
  let hiddenModels = 0;
  let hiddenBackends = 0;
  for (const [model, m] of Object.entries(stats?.models ?? {})) {
    if (lines.length >= budget) {
      hiddenModels++;
      hiddenBackends += Object.keys(m.backends).length;
      continue;
    }
    lines.push(
      <Text key={`m ${model}`} bold wrap="truncate-end">
        {model} <Text dimColor>{m.requests} requests</Text>
      </Text>,
    );
    for (const [name, b] of Object.entries(m.backends)) {
      if (lines.length >= budget) hiddenBackends++;
      else lines.push(<BackendRow key={`b ${model}\u0000${name}`} name={name} b={b} width={width} />);
    }
  }
  return (
    <Panel title="Routing — model → backend: requests, share / weight, errors, latency" focused={focused}>
      {!stats ? (
        <Text dimColor wrap="truncate-end">
          waiting for the gateway…
        </Text>
      ) : null}
      {lines}
      <More
        parts={[
          [hiddenModels, 'models'],
          [hiddenBackends, 'backends'],
        ]}
      />
    </Panel>
  );
}

export function TenantsPanel({ stats, focused, width, rows = Number.POSITIVE_INFINITY }: ListPanelProps) {
  const all = Object.entries(stats?.tenants ?? {});
  const tenants = all.length <= rows ? all : all.slice(0, Math.max(0, rows - 1));
  const barWidth = Math.max(8, Math.min(24, Math.floor((width - 60) / 2)));
  const windowS = (stats?.windowMs ?? 60_000) / 1000;
  return (
    <Panel title={`Tenants — tokens and requests in the last ${windowS}s vs limits`} focused={focused}>
      {all.length === 0 ? (
        <Text dimColor wrap="truncate-end">
          no tenants (the gateway is open)
        </Text>
      ) : null}
      {tenants.map(([name, t]) => {
        const tf = t.tpm.limit ? t.tpm.used / t.tpm.limit : 0;
        const rf = t.rpm.limit ? t.rpm.used / t.rpm.limit : 0;
        const tpmColor = tf > 0.9 ? 'red' : tf > 0.7 ? 'yellow' : 'green';
        return (
          <Text key={name} wrap="truncate-end">
            {'  '}
            {name.padEnd(12).slice(0, 12)} TPM <Text color={tpmColor}>{bar(tf, barWidth)}</Text> {num(t.tpm.used)}/
            {t.tpm.limit === null ? '∞' : num(t.tpm.limit)} RPM{' '}
            <Text color={rf > 0.9 ? 'red' : 'green'}>{bar(rf, Math.floor(barWidth / 2))}</Text> {num(t.rpm.used)}/
            {t.rpm.limit === null ? '∞' : num(t.rpm.limit)} 429s <Text color={t.rejected ? 'red' : undefined}>{t.rejected}</Text>
          </Text>
        );
      })}
      <More parts={[[all.length - tenants.length, 'tenants']]} />
    </Panel>
  );
}

/** Requests answered with a status of 400 or more, per tenant and code: the gateway's refusals and failed answers. */
export function RefusalsPanel({ stats, focused, width, rows: most = REFUSAL_ROWS + 1 }: ListPanelProps) {
  const rows = refusalsByTenant(stats);
  const shown = rows.length <= Math.min(most, REFUSAL_ROWS) ? rows : rows.slice(0, Math.max(0, Math.min(most - 1, REFUSAL_ROWS)));
  const perRow = Math.max(1, Math.floor((width - 24) / 30));
  return (
    <Panel title={`Refused — ${num(refusedTotal(stats))} requests answered 4xx/5xx, per tenant and code`} focused={focused}>
      {rows.length === 0 ? (
        <Text dimColor wrap="truncate-end">
          none refused
        </Text>
      ) : null}
      {shown.map((r) => (
        <Text key={r.tenant ?? '(no key)'} wrap="truncate-end">
          {'  '}
          {(r.tenant ?? '(no key)').padEnd(12).slice(0, 12)} <Text color="red">{num(r.total).padStart(6)}</Text>{' '}
          {r.codes
            .slice(0, perRow)
            .map((c) => `${c.status} ${c.code} ${num(c.count)}`)
            .join('  ')}
        </Text>
      ))}
      {rows.length > shown.length ? (
        <Text dimColor wrap="truncate-end">
          {' '}
          …and {rows.length - shown.length} more tenants
        </Text>
      ) : null}
    </Panel>
  );
}

const clock = (ts: number) => new Date(ts).toISOString().slice(11, 19);

const KIND_COLOR: Record<LogLine['kind'], string> = {
  truncation: 'red',
  refused: 'red',
  ratelimit: 'yellow',
  upstream_error: 'magenta',
  reload: 'blue',
  ejection: 'cyan',
};

export function EventLog({ log, focused, rows, scroll }: { log: readonly LogLine[]; focused: boolean; rows: number; scroll: number }) {
  const end = Math.max(0, log.length - scroll);
  const shown = log.slice(Math.max(0, end - rows), end);
  return (
    <Panel title={`Events — truncations, refusals, 429s, upstream errors${scroll ? ` (scrolled back ${scroll})` : ''}`} focused={focused}>
      {shown.length === 0 ? (
        <Text dimColor wrap="truncate-end">
          nothing notable yet
        </Text>
      ) : null}
      {shown.map((l) => (
        <Text key={l.serial} wrap="truncate-end">
          <Text dimColor>{clock(l.ts)}</Text> <Text color={KIND_COLOR[l.kind]}>{l.kind.padEnd(14)}</Text> {l.text}
          {l.count > 1 ? <Text bold> ×{num(l.count)}</Text> : null}
        </Text>
      ))}
    </Panel>
  );
}

interface RatesProps {
  rps: readonly number[];
  tps: readonly number[];
  refused: readonly number[];
  inflight: number;
  width: number;
}

export function Rates({ rps, tps, refused, inflight, width }: RatesProps) {
  const w = Math.max(8, Math.min(50, Math.floor((width - 64) / 3)));
  return (
    <Box paddingX={1}>
      <Text wrap="truncate-end">
        req/s <Text color="green">{sparkline(rps, w)}</Text> {num(rps.at(-1) ?? 0).padStart(5)} tok/s{' '}
        <Text color="cyan">{sparkline(tps, w)}</Text> {num(tps.at(-1) ?? 0).padStart(6)} refused/s{' '}
        <Text color="red">{sparkline(refused, w)}</Text> {num(refused.at(-1) ?? 0).padStart(5)} in flight {inflight}
      </Text>
    </Box>
  );
}
