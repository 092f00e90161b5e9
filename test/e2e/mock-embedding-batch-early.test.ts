/**
 * An embedding batch over TEI's max_client_batch_size is refused as soon as its count is known: the mock turned every
 * input into a string first (3M token-id arrays: 1.3 s of CPU and 3M strings held) only to answer 413.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { postJson, useMock } from '../helpers/mocks.js';

const tei = await useMock({ name: 'tei', kind: 'tei', models: ['e'], dimensions: 8 });

describe('oversized embedding batches', () => {
  afterEach(() => void vi.restoreAllMocks());

  it.each([
    ['token-id arrays', Array.from({ length: 200_000 }, (_, i) => [i % 1000])],
    ['strings', Array.from({ length: 200_000 }, () => 'x')],
  ])('of %s are refused before any per-input work', async (_name, input) => {
    const body = JSON.stringify({ model: 'e', input });
    const stringify = vi.spyOn(JSON, 'stringify');
    const r = await fetch(`${tei.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { message: string }).message).toBe('batch size 200000 > maximum allowed batch size 32');
    // The refusal's own few calls, not one per input.
    expect(stringify.mock.calls.length).toBeLessThan(100);
  });

  it('a batch within the bound is still answered', async () => {
    const r = await postJson(`${tei.url}/v1/embeddings`, { model: 'e', input: [[1, 2], [3]] });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { data: unknown[] }).data).toHaveLength(2);
  });
});
