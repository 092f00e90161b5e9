/**
 * Hostile input on the Anthropic front door, on real sockets (fast-check, bounded): any JSON body, any
 * `anthropic-version`, any content blocks — translated to vLLM or passed to an Anthropic mock — gets an answer
 * or a 4xx in Anthropic's error shape, never a 5xx, a crash or a non-JSON error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { fuzzRuns } from '../helpers/fuzz-runs.js';

const gw = await useGateway(`
version: 1
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
  claude: { url: http://127.0.0.1:0, kind: anthropic, apiKey: sk-ant-fuzz, mock: { kind: anthropic } }
models:
  llama: { targets: [{ backend: vllm }] }
  claude: { targets: [{ backend: claude }] }
`);

// Each case is a request over a socket (~1–2 ms here, more on a busy machine): `npm run fuzz`'s 200,000 cases for a
// parser would take an hour, so this file runs a tenth of them (20,000 per property), its timeout scaled to match.
const { runs, timeout: TIMEOUT } = fuzzRuns(40, { share: 0.1, msPerCase: 30, floorMs: 120_000 });
const RUNS = { numRuns: runs };

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') ?? '' };
}

function judged(r: { status: number; text: string; type: string }): void {
  expect(r.status, r.text).toBeLessThan(500);
  if (r.status >= 400) {
    expect(r.type).toContain('application/json');
    expect(JSON.parse(r.text)).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } });
  }
}

const block = fc.oneof(
  fc.record({ type: fc.constant('text'), text: fc.string({ maxLength: 20 }) }),
  fc.record({
    type: fc.constant('image'),
    source: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.record({ type: fc.constant('base64'), media_type: fc.string(), data: fc.string() })),
  }),
  fc.record({ type: fc.constant('tool_use'), id: fc.string(), name: fc.string(), input: fc.jsonValue({ maxDepth: 3 }) }),
  fc.record({ type: fc.constant('tool_result'), tool_use_id: fc.string(), content: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })) }),
  fc.record({ type: fc.string({ maxLength: 12 }) }),
  fc.jsonValue({ maxDepth: 2 }),
);
const message = fc.record({
  role: fc.oneof(fc.constantFrom('user', 'assistant'), fc.string({ maxLength: 8 })),
  content: fc.oneof(fc.string({ maxLength: 30 }), fc.array(block, { maxLength: 4 })),
});
const request = (model: string) =>
  fc.record(
    {
      model: fc.constant(model),
      max_tokens: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.jsonValue({ maxDepth: 1 })),
      messages: fc.oneof(fc.array(message, { minLength: 1, maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
      system: fc.oneof(fc.string({ maxLength: 20 }), fc.array(block, { maxLength: 2 }), fc.jsonValue({ maxDepth: 1 })),
      stream: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
      tools: fc.jsonValue({ maxDepth: 3 }),
      tool_choice: fc.jsonValue({ maxDepth: 2 }),
      temperature: fc.oneof(fc.double({ noNaN: true }), fc.jsonValue({ maxDepth: 1 })),
      stop_sequences: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: ['model'] },
  );

describe('the Anthropic front door under hostile input', () => {
  it.each(['llama', 'claude'])(
    'any Messages body to %s: an answer or a 4xx in Anthropic’s shape',
    async (model) => {
      await fc.assert(
        fc.asyncProperty(request(model), async (body) => {
          const r = await post('/v1/messages', JSON.stringify(body), { 'x-mock-ttft': '0ms', 'x-mock-tps': '0' });
          judged(r);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it.each(['llama', 'claude'])(
    'any count_tokens body to %s: a count or a 4xx',
    async (model) => {
      await fc.assert(
        fc.asyncProperty(request(model), async (body) => judged(await post('/v1/messages/count_tokens', JSON.stringify(body)))),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'any anthropic-version header: accepted when a date, a 400 otherwise',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.stringMatching(/^[\x21-\x7e]{1,30}$/), async (version) => {
          const body = JSON.stringify({ model: 'claude', max_tokens: 1, messages: [{ role: 'user', content: 'x' }] });
          const r = await post('/v1/messages', body, { 'anthropic-version': version });
          judged(r);
          expect(r.status).toBe(/^\d{4}-\d{2}-\d{2}$/.test(version) ? 200 : 400);
        }),
        RUNS,
      );
    },
    TIMEOUT,
  );

  it(
    'any bytes as the body: a 4xx in Anthropic’s shape',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => judged(await post('/v1/messages', text))),
        RUNS,
      );
    },
    TIMEOUT,
  );
});
