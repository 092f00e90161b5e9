/**
 * A request span's name is what trace backends index and span metrics label (Jaeger's operation list, Tempo's and the
 * OpenTelemetry Collector's spanmetrics `span_name`): it must take a bounded set of values, as metric labels do (reliability
 * 43). Named `{operation} {model}` from whatever model the client asked for, a client sending made-up model names (each
 * refused 404) made one span name — one series downstream — per name. A model the profile routes names the span; any
 * other leaves it `{operation}`, its `gen_ai.request.model` still saying what was asked.
 */
import { describe, expect, it } from 'vitest';
import { eventually, useGateway } from '../helpers/gateway.js';
import { useOtlpReceiver } from '../helpers/otlp-receiver.js';
import { rawPost } from '../helpers/raw.js';

const receiver = await useOtlpReceiver();
const gw = await useGateway(
  `
version: 1
observe: { tracing: { otlp: "{{otlp}}", sampleRatio: 1 } }
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm, models: [up] } }
models:
  llama: { targets: [{ backend: v, model: up }] }
`,
  { otlp: receiver.url },
);
const flush = () => gw.gateway.state.runtime.services.tracing.flush();

describe('request span names a client cannot multiply', () => {
  it('made-up models leave the span named by its operation; a routed model names it', async () => {
    const asked = ['made-up-1', 'made-up-2', 'made-up-3', 'llama'];
    const ids: string[] = [];
    for (const model of asked) {
      const r = await rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });
      expect(r.status).toBe(model === 'llama' ? 200 : 404);
      ids.push(String(r.headers['x-request-id']));
    }
    const spanOf = (id: string) => receiver.spans.find((s) => s.kind === 2 && s.attributes['aigw.request_id'] === id);
    await eventually(async () => {
      await flush();
      return ids.every((id) => spanOf(id) !== undefined);
    });
    const spans = ids.map((id) => spanOf(id)!);
    expect(spans.map((s) => s.name)).toEqual(['chat', 'chat', 'chat', 'chat llama']);
    expect(spans.map((s) => s.attributes['gen_ai.request.model'])).toEqual(asked);
    expect(spans.slice(0, 3).map((s) => s.attributes['error.type'])).toEqual(['model_not_found', 'model_not_found', 'model_not_found']);
  });
});
