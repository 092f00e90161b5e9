/**
 * A request's duration ends with its answer, not with its settle stage (attacker review). The settle stage runs once
 * the response is over: it counts what the backend did not report (the prompt and output of an answer without usage,
 * a stream the client left) in the tokenizer thread — which waits up to two counts' budget (~4 s) behind other
 * clients' counts — and settles a tenant's limits in a shared store (a Redis round trip, up to its timeout). The event's
 * durationMs was read after all of that: gen_ai_server_request_duration_seconds, /aigw/stats latencyMs and the time
 * per output token (duration − TTFT) counted the tokenizer's queue and Redis as the request's time, though the client
 * had its whole answer long before; the request's span ended there too. Here the count is held back after the client
 * has the answer: the duration read was the hold's, ~1 s more than the client waited.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { PromptCounter } from '../../src/tenants/admission.js';
import { eventually, ONE_BACKEND_PROFILE, useGateway } from '../helpers/gateway.js';
import { type ReceivedSpan, useOtlpReceiver } from '../helpers/otlp-receiver.js';
import { useUpstream } from '../helpers/upstream.js';

/** How long the count is held after the client has its answer: the slow settle stage. */
const HOLD_MS = 1000;

// An answer without usage: its prompt and output are counted in the settle stage.
const up = await useUpstream((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(
    JSON.stringify({
      id: 'c',
      object: 'chat.completion',
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok ok ok' }, finish_reason: 'stop' }],
    }),
  );
});
const receiver = await useOtlpReceiver();
const gw = await useGateway(`${ONE_BACKEND_PROFILE}observe: { tracing: { otlp: "{{otlp}}", sampleRatio: 1 } }\n`, {
  b: up.url,
  otlp: receiver.url,
});

// The tokenizer thread, slowed: each count waits for the gate (another client's counts ahead of it, in production).
const counter = gw.gateway.state.tokens as PromptCounter;
const count = counter.count.bind(counter);
let gate: Promise<void> = Promise.resolve();
counter.count = (...args: Parameters<PromptCounter['count']>) => gate.then(() => count(...args));

describe('a request whose settle stage is slow', () => {
  it('has the duration its client saw, not its settle stage', async () => {
    let open!: () => void;
    gate = new Promise<void>((r) => {
      open = r;
    });
    const id = 'duration-settle-1';
    const started = performance.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': id },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hello there' }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    const clientMs = performance.now() - started;
    // The settle stage, slow: the client has had its whole answer for HOLD_MS when the count goes on.
    await sleep(HOLD_MS);
    open();
    const e = await gw.requestEvent(id);
    // Counted in the settle stage (it did run, after the hold).
    expect(e.tokens.inputSource).toBe('tokenizer');
    // Before: clientMs + HOLD_MS and more. The answer's own end is within the client's wait (both in this process).
    expect(e.durationMs).toBeLessThan(clientMs + HOLD_MS / 4);
    // The metric and the stats read the same figure.
    const stats = gw.admin.stats.snapshot();
    expect(stats.models.m!.backends.b!.latencyMs.p99).toBeLessThan(clientMs + HOLD_MS / 4);
    // So does the request's span.
    let server: ReceivedSpan | undefined;
    await eventually(async () => {
      await gw.gateway.state.runtime.services.tracing.flush();
      server = receiver.spans.find((s) => s.kind === 2 && s.attributes['aigw.request_id'] === id);
      return server !== undefined;
    });
    expect(server!.durationMs).toBeLessThan(clientMs + HOLD_MS / 4);
  });
});
