/** What a person sees, rendered from recorded admin-feed fixtures (fixtures/tui) to a fake terminal. */
import { readFileSync } from 'node:fs';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { bar, sparkline } from '../../../src/tui/components.js';
import { applyEvent, applyStats, initialState, type StatsView, type TuiState } from '../../../src/tui/model.js';
import { summaryLines } from '../../../src/tui/plain.js';

function fixture(name: string): TuiState {
  const f = JSON.parse(readFileSync(`fixtures/tui/${name}.json`, 'utf8')) as {
    stats: StatsView[];
    events: { id: number; event: Record<string, unknown> }[];
  };
  let s = initialState();
  for (const st of f.stats) s = applyStats(s, st);
  for (const e of f.events) s = applyEvent(s, e.id, e.event);
  return s;
}

const frame = (name: string, width = 100) => {
  const r = render(<App initial={fixture(name)} width={width} />);
  const text = r.lastFrame() ?? '';
  r.unmount();
  return text;
};

describe('the TUI', () => {
  it('shows a canary split: each backend with its realized share against its weight, and the request rate', () => {
    const f = frame('canary-split');
    expect(f).toContain('llama-3-70b');
    expect(f).toMatch(/vllm-llama-v1\s+1900 .* 95\.0%\/ 95\.0%/);
    expect(f).toMatch(/vllm-llama-v2\s+100 .* {2}5\.0%\/ {2}5\.0%/);
    expect(f).toMatch(/req\/s .* 100/);
  });

  it('shows a TPM-limited tenant near its limit, with its 429s in the log', () => {
    const f = frame('tpm-limited-tenant');
    expect(f).toMatch(/acme\s+TPM .*19\.9k\/20\.0k/);
    expect(f).toMatch(/429s 31/);
    expect(f).toMatch(/ratelimit\s+acme llama-3-70b 429 tokens, retry in 1800ms/);
  });

  it('shows a truncation burst with sizes, and leaves ordinary requests out of the log', () => {
    const f = frame('truncation-burst');
    expect(f.match(/truncation\s+llama-3-70b → vllm-llama cut \(buffer_truncate\) at 1\.0MiB of 3\.1MiB/g)).toHaveLength(6);
    expect(f).toContain('upstream_error');
    expect(f).not.toContain('req-10');
  });

  it('fits 80 columns', () => {
    for (const line of frame('canary-split', 80).split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('pauses on p and moves focus on tab', async () => {
    const r = render(<App initial={fixture('canary-split')} width={100} />);
    r.stdin.write('p');
    await new Promise((res) => setTimeout(res, 20));
    expect(r.lastFrame()).toContain('PAUSED');
    r.stdin.write('\t');
    await new Promise((res) => setTimeout(res, 20));
    r.unmount();
  });

  it('draws bars and sparklines to scale', () => {
    expect(bar(0.5, 10)).toBe('█████░░░░░');
    expect(sparkline([0, 4, 8], 3)).toBe(' ▄█');
  });

  it('degrades to plain lines without a terminal', () => {
    const lines = summaryLines(fixture('canary-split'));
    expect(lines.join('\n')).toMatch(/llama-3-70b: vllm-llama-v1 1900 \(95\.0%\/95\.0%\), vllm-llama-v2 100 \(5\.0%\/5\.0%\)/);
  });
});
