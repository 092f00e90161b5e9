/**
 * A mock counts a request's prompt on its own event loop — the gateway's too under `serve --mocks` — so its counter
 * has a budget (openai/tokens.ts MOCK_BUDGET): the first 256 KiB of a prompt exactly, the rest at 4 characters a
 * token. The TEI mock spent that budget once per input, not once per request: a batch of 32 inputs of 256 KiB had
 * 8 MiB tokenized exactly, BPE's slowest text taking seconds of the loop for one request. Token ids given as input
 * were counted as the tokens of their JSON text, not as the tokens they are (TEI and vLLM count them as given).
 */
import { describe, expect, it } from 'vitest';
import { loadTokenCounter, MOCK_BUDGET } from '../../src/openai/tokens.js';
import { lettersWithoutSpaces } from '../helpers/letters.js';
import { postJson, useMock } from '../helpers/mocks.js';

const MODEL = 'BAAI/bge-large-en-v1.5';
const tei = await useMock({ name: 'tei', kind: 'tei', models: [MODEL], dimensions: 8 });

const embed = async (input: unknown) => {
  const r = await postJson(`${tei.url}/v1/embeddings`, { model: MODEL, input });
  expect(r.status).toBe(200);
  return ((await r.json()) as { data: unknown[]; usage: { prompt_tokens: number } }).usage.prompt_tokens;
};

describe("the TEI mock's count of a batch", () => {
  // Since trust 172 an input over max_input_length (512 tokens) is refused 413, as TEI refuses it: the batch that was
  // counted here is now counted to refuse it, within the same one budget.
  it('counts the whole batch within one budget: 32 inputs of 256 KiB, the first exactly — refused over 512 tokens', async () => {
    const inputs = Array.from({ length: 32 }, (_, i) => lettersWithoutSpaces(MOCK_BUDGET.maxChars, i + 1));
    const counter = await loadTokenCounter();
    const exactFirst = counter.text(inputs[0]!);
    expect(counter.exact).toBe(true);
    const r = await postJson(`${tei.url}/v1/embeddings`, { model: MODEL, input: inputs });
    expect(r.status).toBe(413);
    // Each input counted exactly, 32 budgets' work, took 9 s of the loop on a busy machine (0.5–1 s within one budget):
    // the first input's count is exact, as far as the budget goes.
    expect(((await r.json()) as { message: string }).message).toBe(
      `Input validation error: \`inputs\` must have less than 512 tokens. Given: ${exactFirst}`,
    );
  }, 60_000);

  it('counts a short batch exactly, as before', async () => {
    const counter = await loadTokenCounter();
    const inputs = ['first document', 'second document, a little longer'];
    expect(await embed(inputs)).toBe(counter.text(inputs[0]!) + counter.text(inputs[1]!));
    expect(await embed('one text')).toBe(counter.text('one text'));
  });

  it('counts token ids as the tokens they are', async () => {
    // 500: within max_input_length (512).
    const ids = Array.from({ length: 500 }, (_, i) => 1000 + i);
    expect(await embed(ids)).toBe(500);
    expect(await embed([ids, ids.slice(0, 10)])).toBe(510);
  });
});

const cached = await useMock({ name: 'cached', kind: 'vllm', prefixCache: { blocks: 64, blockTokens: 16, prefillPerToken: 0 } });

describe("the vLLM mock's prefix cache counting a conversation", () => {
  const ask = async (messages: { role: string; content: string }[]) => {
    const r = await postJson(`${cached.url}/v1/chat/completions`, { model: 'm', messages, max_tokens: 1 });
    expect(r.status).toBe(200);
    return ((await r.json()) as { usage: { prompt_tokens: number } }).usage.prompt_tokens;
  };

  it('tokenizes one budget of it exactly: 32 messages of 256 KiB, the rest as stand-in ids', async () => {
    const messages = Array.from({ length: 32 }, (_, i) => ({ role: 'user', content: lettersWithoutSpaces(MOCK_BUDGET.maxChars, 100 + i) }));
    // Counted message by message, each with a budget of its own, 8 MiB was tokenized exactly: 8 s of the loop on a busy
    // machine (0.6–1.2 s within one budget). The count says which was done.
    const tokens = await ask(messages);
    // The first message's role is counted exactly; everything after it is one stand-in id per 4 characters.
    const counter = await loadTokenCounter();
    // Three markers a message, two around the answer's role (prompt-tokens.ts).
    const template = 32 * 3 + 2;
    const first = counter.ids('user').length;
    expect(tokens).toBe(template + first + 31 + 32 * (MOCK_BUDGET.maxChars / 4) + counter.ids('assistant').length);
    // As the mock without a cache counts it (openai/tokens.ts chat), and the same again (ids remembered or not).
    expect(tokens).toBe(counter.chat(messages));
    expect(await ask(messages)).toBe(tokens);
  }, 60_000);

  it("counts a short conversation exactly, and appending a turn changes none of the earlier turns' count", async () => {
    const counter = await loadTokenCounter();
    const one = [{ role: 'user', content: 'What is a canary release?' }];
    const base = await ask(one);
    const user = counter.ids('user').length;
    const assistant = counter.ids('assistant').length;
    expect(base).toBe(3 + user + counter.ids(one[0]!.content).length + 2 + assistant);
    const two = [
      ...one,
      { role: 'assistant', content: 'A small first step.' },
      { role: 'user', content: 'x'.repeat(MOCK_BUDGET.maxChars) },
    ];
    const longer = await ask(two);
    // The long last turn's text is past the budget (stand-ins, one per 4 characters); the earlier turns exact as before.
    const mid = 3 + assistant + counter.ids(two[1]!.content).length;
    expect(longer).toBe(base + mid + 3 + user + MOCK_BUDGET.maxChars / 4);
    expect(longer).toBe(counter.chat(two));
  });
});
