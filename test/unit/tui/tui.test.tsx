/** What a person sees, rendered from recorded admin-feed fixtures (fixtures/tui) to a fake terminal. */
import { render } from 'ink-testing-library';
import { fixture } from '../../helpers/tui.js';
import { describe, expect, it } from 'vitest';
import { App } from '../../../src/tui/app.js';
import { bar, sparkline } from '../../../src/tui/components.js';
import { applyEvent, asEvent, FOLD_MS, initialState } from '../../../src/tui/model.js';
import { summaryLines } from '../../../src/tui/plain.js';

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
    for (const name of ['canary-split', 'refusal-flood'])
      for (const line of frame(name, 80).split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  // Recorded from a live `aigw serve -c profiles/demo.yaml --mocks` with refused traffic (fixtures/tui/refusal-flood.json).
  it('shows refused requests per tenant and code, which never reached a backend', () => {
    const f = frame('refusal-flood', 120);
    expect(f).toMatch(/Refused — 220 requests answered 4xx\/5xx/);
    expect(f).toMatch(/globex\s+196 429 rate_limit_exceeded 26\s+403 model_not_allowed 170|globex\s+196 403 model_not_allowed 170/);
    expect(f).toMatch(/\(no key\)\s+12 401 invalid_api_key 12/);
    expect(f).toMatch(/acme\s+12 404 model_not_found 6\s+502 upstream_error 3\s+413 request_too_large 2/);
  });

  it('logs a flood of one refusal as one line with a counter', () => {
    const f = frame('refusal-flood', 120);
    expect(f.match(/refused\s+globex qwen-2\.5-72b 403 model_not_allowed ×170/g)).toHaveLength(1);
    const log = fixture('refusal-flood').log;
    expect(log.filter((l) => l.kind === 'ratelimit')).toMatchObject([
      { text: expect.stringMatching(/^globex llama-3-70b 429 tokens/), count: 26 },
    ]);
    expect(log.filter((l) => l.kind === 'refused').map((l) => `${l.text} ×${l.count}`)).toEqual([
      '(no key) 401 invalid_api_key ×12',
      'acme gpt-17 404 model_not_found ×6',
      'acme 413 request_too_large ×2',
      'acme llama-3-70b 502 upstream_error ×3',
      'acme llama-3-70b 503 no_healthy_backend ×1',
      'globex qwen-2.5-72b 403 model_not_allowed ×170',
    ]);
    expect(f).not.toMatch(/nothing notable yet/);
  });

  it('shows – instead of 0ms for a TTFT without samples', () => {
    expect(frame('refusal-flood', 140)).toMatch(/vllm-qwen .* ttft\s+–ms/);
  });

  it('starts a new line when the same refusal comes back after a quiet spell', () => {
    const e = (id: number, ts: number) =>
      asEvent({
        type: 'request',
        ts,
        requestId: `r${id}`,
        endpoint: 'chat',
        model: 'm',
        tenant: 't',
        status: 403,
        errorCode: 'model_not_allowed',
      })!;
    let s = initialState();
    s = applyEvent(s, 1, e(1, 1000));
    s = applyEvent(s, 2, e(2, 2000));
    s = applyEvent(s, 3, e(3, 2000 + FOLD_MS + 1));
    expect(s.log.map((l) => l.count)).toEqual([2, 1]);
    expect(applyEvent(s, 4, asEvent({ type: 'request', ts: 1, status: 200 })!).log).toHaveLength(2);
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
    expect(summaryLines(fixture('refusal-flood')).join('\n')).toMatch(/refused globex: 196 \(.*403 model_not_allowed 170/);
  });
});
