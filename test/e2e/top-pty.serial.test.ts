/**
 * `aigw top` in a real pseudo-terminal (tmux) against a live gateway: routed models, a truncation, refusals,
 * reconnection.
 * Runs after the rest (a screen under full-suite load can lag).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startAigw } from '../helpers/cli.js';
import { eventually } from '../helpers/gateway.js';
import { hasTmux, paneAtRest, topInTmux } from '../helpers/tui.js';
import { freePort } from '../helpers/ports.js';
import { rawPost } from '../helpers/raw.js';

const SESSION = `aigw-top-${process.pid}`;
const screen = () => paneAtRest(SESSION);

describe.skipIf(!hasTmux)('aigw top in a terminal', () => {
  it('shows the routed models and a truncation event, and reconnects when the gateway restarts', async () => {
    const adminPort = await freePort();
    const file = join(mkdtempSync(join(tmpdir(), 'aigw-top-')), 'p.yaml');
    writeFileSync(
      file,
      `version: 1
listen: 127.0.0.1:0
admin: { listen: "127.0.0.1:${adminPort}" }
limits: { responseBuffer: { mode: buffered, maxBytes: 1Mi, onOverflow: truncate } }
backends:
  vllm-a: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up] } }
  vllm-b: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up] } }
models:
  llama-3-70b: { targets: [{ backend: vllm-a, model: up, weight: 9 }, { backend: vllm-b, model: up, weight: 1 }] }
`,
    );
    let gw = await startAigw(['serve', '-c', file, '--mocks', '--log', 'off'], 4);
    const send = async (extra: object = {}) =>
      rawPost(`${gw.urls.gateway}/v1/chat/completions`, {
        model: 'llama-3-70b',
        messages: [{ role: 'user', content: 'hi' }],
        max_tokens: 5,
        ...extra,
      });
    try {
      topInTmux(SESSION, `http://127.0.0.1:${adminPort}`, 120, 45);
      for (let i = 0; i < 20; i++) await send();
      await send({ max_tokens: 600_000 });
      await eventually(
        () => /llama-3-70b/.test(screen()) && /vllm-b/.test(screen()) && /truncation\s+llama-3-70b → vllm-\w cut/.test(screen()),
        20_000,
      );
      expect(screen()).toMatch(/cut \(buffer_truncate\) at 1\.0MiB of 3\.\dMiB/);
      expect(screen()).toContain('● connected');

      // Refused requests never reach a backend: they show as counts and as one log line with a counter.
      for (let i = 0; i < 5; i++) await send({ model: 'no-such-model' });
      // The log line comes from the event stream, the panel's count from the next stats poll: wait for both.
      await eventually(
        () =>
          /refused\s+\(no key\) no-such-model 404 model_not_found ×5/.test(screen()) &&
          /Refused — 5 requests answered 4xx\/5xx/.test(screen()),
        20_000,
      );

      await gw.stop('SIGKILL');
      await eventually(() => /cannot reach/.test(screen()), 20_000);
      gw = await startAigw(['serve', '-c', file, '--mocks', '--log', 'off'], 4);
      await send();
      await eventually(() => screen().includes('● connected'), 20_000);

      execFileSync('tmux', ['send-keys', '-t', SESSION, 'q']);
      await eventually(() => spawnSync('tmux', ['has-session', '-t', SESSION]).status !== 0, 5000);
    } finally {
      spawnSync('tmux', ['kill-session', '-t', SESSION]);
      await gw.stop('SIGKILL');
    }
  }, 60_000);
});
