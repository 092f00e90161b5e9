/**
 * `cost` sends a request to the cheapest target whose context window fits it (README), and an embedding's size was
 * counted as 0 tokens: priced 0 on every target, the cheapest embedder was chosen no more often than the dearest (by
 * load, then a draw — about half of the requests paid ten times the price), and every input fit every window (a
 * 3,000-token document went to a 512-token embedder, which refuses it). Its size is now its longest input's
 * (attacker review).
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';

const gw = await useGateway(`
version: 1
backends:
  cheap: { url: http://127.0.0.1:0, mock: { kind: tei, models: [small-embed], dimensions: 8 } }
  dear: { url: http://127.0.0.1:0, mock: { kind: tei, models: [long-embed], dimensions: 8 } }
models:
  embed:
    strategy: cost
    targets:
      - { backend: cheap, model: small-embed, contextWindow: 512, pricing: { input: 0.01, output: 0 } }
      - { backend: dear, model: long-embed, contextWindow: 8192, pricing: { input: 0.1, output: 0 } }
`);

let n = 0;
/** The backend an embedding request was sent to, as its event names it. */
async function servedBy(input: unknown): Promise<string | undefined> {
  const id = `cost-embed-${++n}`;
  const r = await fetch(`${gw.url}/v1/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': id },
    body: JSON.stringify({ model: 'embed', input }),
  });
  await r.arrayBuffer();
  return (await gw.requestEvent(id)).backend;
}

describe('cost prices and fits an embedding by its inputs', () => {
  it('short inputs all go to the cheapest embedder', async () => {
    const served: (string | undefined)[] = [];
    for (let i = 0; i < 20; i++) served.push(await servedBy(`a short query number ${i}`));
    expect(served).toEqual(Array(20).fill('cheap'));
  });

  it('an input longer than the cheap window goes to the one it fits', async () => {
    expect(await servedBy('a long document of many words; '.repeat(100))).toBe('dear'); // ~3,100 characters: ~775 tokens
  });

  it('a batch of inputs that each fit stays on the cheapest, however long together', async () => {
    expect(await servedBy(Array.from({ length: 10 }, (_, i) => `passage ${i}: ${'words of text '.repeat(100)}`))).toBe('cheap');
  });
});
