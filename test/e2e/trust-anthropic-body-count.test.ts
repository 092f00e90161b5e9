/**
 * A non-streamed Anthropic answer passing through is charged its output, however its body spells what the SDK
 * reads. The SDK reads a Message's fields by name: it needs no `type`, and a usage without `output_tokens` is no
 * count of them. tenants/token-worker.ts answerText counted a Message's content only when `type` was `message` (a
 * Message without it, and without usage, counted 0 tokens: 4,000 words charged nothing), and anthropicUsageIn
 * (translate/anthropic-tap.ts) took `{"input_tokens":10}` or `"output_tokens":null` as an output of 0, the content
 * never counted.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-body-count';
const TEXT = 'word '.repeat(4000);
const content = `"content":[{"type":"text","text":"${TEXT}"}],"stop_reason":"end_turn","stop_sequence":null`;
const BODIES: Record<string, string> = {
  'a Message without `type` and without usage': `{"id":"msg_1","role":"assistant","model":"c",${content}}`,
  'usage with the input count alone': `{"id":"msg_1","type":"message","role":"assistant","model":"c",${content},"usage":{"input_tokens":10}}`,
  'usage whose output count is null': `{"id":"msg_1","type":"message","role":"assistant","model":"c",${content},"usage":{"input_tokens":10,"output_tokens":null}}`,
};
const NAMES = Object.keys(BODIES);

const up = await useUpstream((_req, res, body) => {
  const which = NAMES[Number(/case:(\d+)/.exec(body)?.[1])] ?? '';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(BODIES[which]);
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic', limits: '{ tpm: 100000000 }' }), { u: up.url });
const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });

describe('a non-streamed Anthropic answer of 4,000 words, read whole by the SDK', () => {
  it.each(NAMES.map((name, i) => [name, i] as const))('%s: charged its words, never 0', async (_name, i) => {
    const m = await client.messages.create(
      { model: 'claude', max_tokens: 8000, messages: [{ role: 'user', content: `case:${i}` }] },
      { headers: { 'x-request-id': `trust-body-count-${i}` } },
    );
    expect(m.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe(TEXT);
    const e = await gw.requestEvent(`trust-body-count-${i}`);
    expect(e.tokens?.output ?? 0, JSON.stringify(e.tokens)).toBeGreaterThanOrEqual(4000);
  });
});
