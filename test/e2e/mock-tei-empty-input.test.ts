/**
 * The TEI mock embedded an empty input — `""`, or an array of no token ids — where TEI refuses it before tokenizing
 * (413 "Input validation error: `inputs` cannot be empty", core/src/tokenization.rs; a production TEI log counted 274
 * of them in a week from one client that sent blank text) and OpenAI's API refuses it too. A client or a chunker sending
 * blank text passed against the mock. Refused now, on `/v1/embeddings` (TEI's OpenAI error shape) and `/embed`.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const tei = await useMock({ name: 'tei-empty', kind: 'tei', models: ['bge'] });
const openai = new OpenAI({ baseURL: `${tei.url}/v1`, apiKey: 'unused', maxRetries: 0 });

describe('the TEI mock and an empty input', () => {
  it.each([
    ['an empty string', ''],
    ['an empty string in a batch', ['a', '']],
    ['no token ids', [[]]],
  ])('refuses %s on /v1/embeddings, 413 in TEI words', async (_name, input) => {
    const r = await postJson(`${tei.url}/v1/embeddings`, { model: 'bge', input });
    expect(r.status).toBe(413);
    expect(await r.json()).toEqual({ message: 'Input validation error: `inputs` cannot be empty', code: 413, type: 'Validation' });
  });

  it('refuses it through openai-node as an APIError (413)', async () => {
    const e = await openai.embeddings.create({ model: 'bge', input: '' }).then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(OpenAI.APIError);
    expect((e as InstanceType<typeof OpenAI.APIError>).status).toBe(413);
  });

  it.each([
    ['an empty string', ''],
    ['an empty string in a batch', ['a', '']],
  ])('refuses %s on /embed', async (_name, inputs) => {
    const r = await postJson(`${tei.url}/embed`, { inputs });
    expect(r.status).toBe(413);
    expect(await r.json()).toEqual({ error: 'Input validation error: `inputs` cannot be empty', error_type: 'Validation' });
  });

  it('embeds a blank but not empty input, and token ids', async () => {
    const e = await openai.embeddings.create({ model: 'bge', input: [' ', 'a'] });
    expect(e.data).toHaveLength(2);
    const ids = await postJson(`${tei.url}/v1/embeddings`, { model: 'bge', input: [1, 2, 3] });
    expect(ids.status).toBe(200);
  });
});
