/**
 * `cancel` under `--api anthropic` sent its three requests to `/v1/chat/completions` whatever API the run spoke: against
 * a target that serves Anthropic's Messages API alone (an Anthropic mock, a gateway of Messages only) each was refused
 * and no backend ever saw a client leave — all three phases "still generating?", `cancel.missed` 3 — and through aigw
 * the path judged was the OpenAI one, not the one the run was asked to judge. It now speaks the run's API.
 */
import { describe, expect, it } from 'vitest';
import { cancel } from '../../../src/bench/cancel.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useMock } from '../../helpers/mocks.js';

describe('cancel with --api anthropic', () => {
  it('aborts Messages requests, and the Anthropic backend sees each client leave', async () => {
    const mock = await useMock({ name: 'a', kind: 'anthropic', apiKey: 'sk-ant' });
    const r = await cancel(benchContext({ url: mock.url, mocks: { a: mock.url } }, { api: 'anthropic', apiKey: 'sk-ant' }));
    expect(r.figures['cancel.missed']).toBe(0);
    expect(typeof r.figures['cancel.worstMs']).toBe('number');
  }, 30_000);
});
