/**
 * An embedding asked for with `dimensions` is shortened as OpenAI shortens one: its leading values, scaled back to unit
 * length. The TEI mock cut the vector and left it at that — 8 of 64 values had a length of 0.42 here — so a dot
 * product, what a client of unit vectors takes for the cosine, was no longer one.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useMock } from '../helpers/mocks.js';

const tei = await useMock({ name: 'tei', kind: 'tei', models: ['e'], dimensions: 64 });
const client = new OpenAI({ baseURL: `${tei.url}/v1`, apiKey: 'x', maxRetries: 0 });
const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('embeddings with dimensions', () => {
  // Without encoding_format openai-node asks for base64 and decodes it.
  it.each([['float'], [undefined]] as const)(
    'are unit length and keep the full vector direction (encoding_format %s)',
    async (encoding_format) => {
      const full = (await client.embeddings.create({ model: 'e', input: 'a text', encoding_format })).data[0]!.embedding;
      const short = (await client.embeddings.create({ model: 'e', input: 'a text', dimensions: 8, encoding_format })).data[0]!.embedding;
      expect(full).toHaveLength(64);
      expect(short).toHaveLength(8);
      expect(norm(full)).toBeCloseTo(1, 5);
      expect(norm(short)).toBeCloseTo(1, 5);
      // The same direction as the full vector's first 8 values.
      const scale = norm(full.slice(0, 8));
      for (let i = 0; i < 8; i++) expect(short[i]! * scale).toBeCloseTo(full[i]!, 5);
    },
  );
});
