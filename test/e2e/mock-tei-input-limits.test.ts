/**
 * The TEI mock refuses what TEI refuses: an input longer than /info's max_input_length (512 tokens) is a 413
 * ("Input validation error: `inputs` must have less than 512 tokens. Given: N"), on /v1/embeddings and on /embed
 * unless it asks `truncate: true`, which embeds the first 512 tokens; `dimensions` past the model's width is refused
 * (400), as OpenAI refuses it. The mock embedded inputs of any length whole and answered `dimensions: 100` of a
 * 64-wide model at 64.
 */
import { describe, expect, it } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const tei = await useMock({ name: 'tei', kind: 'tei', models: ['e'], dimensions: 64 });
const long = 'word '.repeat(600);
const short = 'word '.repeat(400);

describe('TEI input limits', () => {
  it('/v1/embeddings: an input over 512 tokens is a 413 in TEI words; 400 tokens are answered', async () => {
    const r = await postJson(`${tei.url}/v1/embeddings`, { model: 'e', input: ['ok', long] });
    expect(r.status).toBe(413);
    const j = (await r.json()) as { message: string; code: number; type: string };
    expect(j.message).toMatch(/^Input validation error: `inputs` must have less than 512 tokens\. Given: \d+$/);
    expect(Number(j.message.split('Given: ')[1])).toBeGreaterThan(512);
    expect(j).toMatchObject({ code: 413, type: 'Validation' });
    expect((await postJson(`${tei.url}/v1/embeddings`, { model: 'e', input: short })).status).toBe(200);
    expect((await postJson(`${tei.url}/v1/embeddings`, { model: 'e', input: Array.from({ length: 600 }, (_, i) => i) })).status).toBe(413);
  });

  it('/embed: 413 without truncate; with truncate: true the first 512 tokens are embedded', async () => {
    const r = await postJson(`${tei.url}/embed`, { inputs: long });
    expect(r.status).toBe(413);
    expect(await r.json()).toEqual({
      error: expect.stringMatching(/^Input validation error: `inputs` must have less than 512 tokens\. Given: \d+$/),
      error_type: 'Validation',
    });
    const embed = async (inputs: string[]) => (await (await postJson(`${tei.url}/embed`, { inputs, truncate: true })).json()) as number[][];
    const [a, b] = await embed([`${long}alpha`, `${long}omega`]);
    expect(a).toHaveLength(64);
    expect(a).toEqual(b);
    const [c, d] = await embed([`${short}alpha`, `${short}omega`]);
    expect(c).not.toEqual(d);
  });

  it('dimensions past the width is refused; at the width it is answered', async () => {
    const r = await postJson(`${tei.url}/v1/embeddings`, { model: 'e', input: 'x', dimensions: 100 });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { message: string }).message).toContain('dimensions');
    const ok = await postJson(`${tei.url}/v1/embeddings`, { model: 'e', input: 'x', dimensions: 64, encoding_format: 'float' });
    expect(((await ok.json()) as { data: { embedding: number[] }[] }).data[0]!.embedding).toHaveLength(64);
  });
});
