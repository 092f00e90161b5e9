/** Non-streamed answers under each response-buffer mode (contract §2 limits.responseBuffer). */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chatPromptKey, generateText } from '../../src/mock/text.js';
import { gatewayFor, useGateway, type TestGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const profile = (buffer: string) => `
version: 1
limits: { responseBuffer: ${buffer} }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`;
const messages = [{ role: 'user', content: 'a long answer please' }];
/** About 3.3 MB of JSON: 600k tokens of ~5.5 bytes. */
const THREE_MB = { model: 'm', messages, max_tokens: 600_000, seed: 4 };

function expectWhole(r: Awaited<ReturnType<typeof rawPost>>) {
  expect(r.status).toBe(200);
  expect(r.ended).toBe('complete');
  expect(r.body.length).toBeGreaterThan(3_000_000);
  expect(r.body.length).toBe(Number(r.headers['content-length']));
  const json = JSON.parse(r.body.toString());
  const expected = generateText(chatPromptKey(messages), 4, 600_000);
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  expect(sha(json.choices[0].message.content)).toBe(sha(expected));
}

describe('passthrough (the default)', () => {
  const gw = useGateway(profile('{ mode: passthrough }'));
  it('delivers a 3 MB answer intact (case 6)', async () => {
    expectWhole(await rawPost(`${(await gw).url}/v1/chat/completions`, THREE_MB));
  });

  it('turns a body cut mid-way into an abortive close and a truncation event with the expected size (case 13)', async () => {
    const t = await gw;
    const r = await rawPost(
      `${t.url}/v1/chat/completions`,
      { ...THREE_MB, max_tokens: 5000 },
      { headers: { 'x-mock-fault': 'close-after:100' } },
    );
    expect(r.status).toBe(200);
    expect(r.ended).toBe('aborted');
    const cut = t.eventsOf('truncation').at(-1)!;
    expect(cut).toMatchObject({ reason: 'upstream_reset', stream: false, bytesExpected: Number(r.headers['content-length']) });
    expect(cut.bytesDelivered).toBeLessThan(cut.bytesExpected!);
    expect(r.body.length).toBeLessThanOrEqual(cut.bytesDelivered);
  });

  it('answers 502 when the body breaks before any byte reached the client', async () => {
    const t = await gw;
    const r = await rawPost(
      `${t.url}/v1/chat/completions`,
      { ...THREE_MB, max_tokens: 5000 },
      { headers: { 'x-mock-fault': 'close-after:0' } },
    );
    expect(r.status).toBe(502);
  });
});

describe('buffered', () => {
  let t: TestGateway;
  it('delivers a 3 MB answer intact with maxBytes 50Mi', async () => {
    t = await gatewayFor(profile('{ mode: buffered, maxBytes: 50Mi }'));
    try {
      expectWhole(await rawPost(`${t.url}/v1/chat/completions`, THREE_MB));
    } finally {
      await t.close();
    }
  });

  it('answers 502 response_too_large before any byte with maxBytes 1Mi, onOverflow error', async () => {
    t = await gatewayFor(profile('{ mode: buffered, maxBytes: 1Mi, onOverflow: error }'));
    try {
      const r = await rawPost(`${t.url}/v1/chat/completions`, THREE_MB);
      expect(r.status).toBe(502);
      expect(JSON.parse(r.body.toString()).error.code).toBe('response_too_large');
      const small = await rawPost(`${t.url}/v1/chat/completions`, { ...THREE_MB, max_tokens: 100 });
      expect(small.status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('reproduces Envoy with maxBytes 1Mi, onOverflow truncate: 200, exactly 1 MiB, a dead connection, a truncation event', async () => {
    t = await gatewayFor(profile('{ mode: buffered, maxBytes: 1Mi, onOverflow: truncate }'));
    try {
      const r = await rawPost(`${t.url}/v1/chat/completions`, THREE_MB);
      expect(r.status).toBe(200);
      expect(r.ended).toBe('aborted');
      expect(r.body.length).toBe(1024 * 1024);
      expect(t.eventsOf('truncation').at(-1)).toMatchObject({
        reason: 'buffer_truncate',
        bytesDelivered: 1024 * 1024,
        bytesExpected: Number(r.headers['content-length']),
      });
    } finally {
      await t.close();
    }
  });
});
