/**
 * Anthropic client → Anthropic backend, a non-streamed Message passing through: what the gateway charges is what
 * the client's SDK reads (JSON.parse), and an answer without usage is counted from its content (as an OpenAI answer
 * without usage is, reliability catalogue #34) — never charged 0 output tokens.
 *
 * The usage was read with regexes on the body's last 4 KiB: an escaped key, a count written `4e3` or a repeated key
 * read as something else than the SDK reads (4 tokens, or none), and a body without readable usage was counted by a
 * text extraction that only knew OpenAI's `choices`: 0 output tokens for 4,000 words.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { scriptedBackendProfile, useGateway } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-trust-body-usage';
const TEXT = 'word '.repeat(4000);
const head = `{"id":"msg_1","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"${TEXT}"}],"stop_reason":"end_turn","stop_sequence":null`;
const BODIES: Record<string, string> = {
  // No usage at all: an Anthropic-compatible server that leaves it out.
  none: `${head}}`,
  // Usage first (as a backend may write it): past the relay's 4 KiB tail window, so read as no usage.
  usageFirst: `{"usage":{"input_tokens":10,"output_tokens":4000},"id":"msg_1","type":"message","role":"assistant","model":"c","content":[{"type":"text","text":"${TEXT}"}],"stop_reason":"end_turn","stop_sequence":null}`,
  // The key `usage` spelt with an escape: the SDK (JSON.parse) reads the usage, the tap does not.
  escapedUsage: `${head},"\\u0075sage":{"input_tokens":10,"output_tokens":4000}}`,
  escapedOutput: `${head},"usage":{"input_tokens":10,"output\\u005ftokens":4000}}`,
  // 4e3 is 4000 to JSON.parse; the tap's \d+ reads 4.
  exponent: `${head},"usage":{"input_tokens":10,"output_tokens":4e3}}`,
  // A repeated key: JSON.parse keeps the last; the tap reads the first.
  repeated: `${head},"usage":{"input_tokens":10,"output_tokens":1,"output_tokens":4000}}`,
};

const up = await useUpstream((_req, res, body) => {
  const name = /case:(\w+)/.exec(body)?.[1] ?? '';
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(BODIES[name]);
});
const gw = await useGateway(scriptedBackendProfile(KEY, { kind: 'anthropic', limits: '{ tpm: 100000000 }' }), { u: up.url });
const client = new Anthropic({ baseURL: gw.url, apiKey: KEY, maxRetries: 0 });

async function charged(name: string) {
  const m = await client.messages.create(
    { model: 'claude', max_tokens: 8000, messages: [{ role: 'user', content: `case:${name}` }] },
    { headers: { 'x-request-id': `trust-body-${name}` } },
  );
  const e = await gw.requestEvent(`trust-body-${name}`);
  return { sdk: (m as { usage?: { output_tokens: number } }).usage?.output_tokens, output: e.tokens?.output ?? 0 };
}

describe('Anthropic to Anthropic, a non-streamed answer: output charged as the SDK reads it', () => {
  it('without usage, the answer is counted from its content (4,000 words), not charged 0', async () => {
    const { output } = await charged('none');
    expect(output).toBeGreaterThanOrEqual(4000);
  });

  it.each(['escapedUsage', 'escapedOutput', 'exponent', 'repeated'])('%s: charged the 4,000 output tokens the SDK reads', async (name) => {
    const { sdk, output } = await charged(name);
    expect(sdk).toBe(4000);
    expect(output).toBe(4000);
  });

  // Past the tail window the usage is read from the whole body where the relay hands it over (relay/dialect.ts);
  // otherwise the content is counted: 4,000 words, "word" and 3,999 " word", then " " — never fewer than the SDK's 4,000.
  it('usage first, past the tail window: charged at least the 4,000 the SDK reads', async () => {
    const { sdk, output } = await charged('usageFirst');
    expect(sdk).toBe(4000);
    expect(output).toBeGreaterThanOrEqual(4000);
    expect(output).toBeLessThanOrEqual(4001);
  });
});
