/**
 * The TEI (and Azure) mock refused an embeddings request whose `dimensions` was null — what a client wrapper writes for
 * an unset option — 422 "expected number, received null", where TEI (serde's Option) and vLLM (Optional[int]) read it
 * as absent and answer at the model's width: a client that worked against the real server failed against its mock,
 * through the gateway or not. Null is absent now, for `dimensions` and `encoding_format` (float). (SDK review)
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  t: { url: http://127.0.0.1:0, mock: { kind: tei } }
models:
  e: { targets: [{ backend: t }] }
`);
const openai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('an embeddings request with null options, to the TEI mock', () => {
  it('dimensions: null is the full width, as TEI answers it', async () => {
    const full = await openai.embeddings.create({ model: 'e', input: 'hi' });
    const r = await openai.embeddings.create({ model: 'e', input: 'hi', dimensions: null } as never);
    expect(r.data[0]!.embedding).toEqual(full.data[0]!.embedding);
  });

  it('encoding_format: null is float', async () => {
    const res = await fetch(`${gw.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'e', input: 'hi', encoding_format: null }),
    });
    expect(res.status).toBe(200);
    expect(Array.isArray(((await res.json()) as { data: { embedding: unknown }[] }).data[0]!.embedding)).toBe(true);
  });
});
