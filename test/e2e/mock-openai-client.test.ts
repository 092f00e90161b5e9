/**
 * The mocks as the official `openai` client sees them, on real sockets, with every answer checked
 * against OpenAI's own OpenAPI schemas (skipped when ../shared/spec is not there).
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { chatPromptKey, completionPromptKey, generateText } from '../../src/mock/text.js';
import { embedText } from '../../src/mock/tei.js';
import { schemaErrors, specAvailable } from '../helpers/openapi.js';
import { useMock } from '../helpers/mocks.js';

const vllm = await useMock({ name: 'vllm-a', kind: 'vllm', models: ['meta-llama/Llama-3-70B-Instruct'] });
const tei = await useMock({ name: 'tei-a', kind: 'tei', models: ['BAAI/bge-large-en-v1.5'], dimensions: 1024 });
const llm = new OpenAI({ baseURL: `${vllm.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const emb = new OpenAI({ baseURL: `${tei.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const MODEL = 'meta-llama/Llama-3-70B-Instruct';
const messages = [{ role: 'user' as const, content: 'Tell me about canary releases.' }];

const conforms = (schema: string, value: unknown) => {
  if (specAvailable) expect(schemaErrors(schema, value)).toEqual([]);
};

describe('vLLM mock through the openai client', () => {
  it('answers a chat completion with exactly max_tokens tokens, exact usage and its identity', async () => {
    const r = await llm.chat.completions.create({ model: MODEL, messages, max_tokens: 32, seed: 42 });
    conforms('CreateChatCompletionResponse', r);
    expect(r.object).toBe('chat.completion');
    expect(r.model).toBe(MODEL);
    expect(r.system_fingerprint).toBe('vllm-a');
    expect(r.choices[0]!.finish_reason).toBe('length');
    expect(r.usage).toMatchObject({ completion_tokens: 32, total_tokens: r.usage!.prompt_tokens + 32 });
    expect(r.usage!.prompt_tokens).toBeGreaterThan(3);
    expect(r.choices[0]!.message.content).toBe(generateText(chatPromptKey(messages), 42, 32));
  });

  it('honours max_completion_tokens', async () => {
    const r = await llm.chat.completions.create({ model: MODEL, messages, max_completion_tokens: 5 });
    expect(r.usage!.completion_tokens).toBe(5);
    expect(r.choices[0]!.message.content!.split(' ')).toHaveLength(5);
  });

  it('streams chunks with deltas, a usage chunk when asked, and the same text', async () => {
    const stream = await llm.chat.completions.create({
      model: MODEL,
      messages,
      max_tokens: 20,
      seed: 42,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const chunks = [];
    for await (const chunk of stream) {
      conforms('CreateChatCompletionStreamResponse', chunk);
      expect(chunk.system_fingerprint).toBe('vllm-a');
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage!.completion_tokens).toBe(20);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('length');
    expect(text).toBe(generateText(chatPromptKey(messages), 42, 20));
  });

  it('streams without a usage chunk unless asked', async () => {
    const stream = await llm.chat.completions.create({ model: MODEL, messages, max_tokens: 3, stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length === 1 && !c.usage)).toBe(true);
  });

  it('answers text completions, streamed and not, with the same text', async () => {
    const prompt = 'Once upon a time';
    const r = await llm.completions.create({ model: MODEL, prompt, max_tokens: 12, seed: 1 });
    conforms('CreateCompletionResponse', r);
    expect(r.choices[0]!.text).toBe(generateText(completionPromptKey(prompt), 1, 12));
    const stream = await llm.completions.create({ model: MODEL, prompt, max_tokens: 12, seed: 1, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.text ?? '';
    expect(text).toBe(r.choices[0]!.text);
  });

  it('refuses what it cannot answer as one text — n > 1, a batch of prompts — with a 400 naming the field', async () => {
    const n = await llm.chat.completions.create({ model: MODEL, messages, n: 2 }).catch((e) => e);
    expect(n).toBeInstanceOf(OpenAI.BadRequestError);
    expect(n.error).toMatchObject({ param: 'n' });
    for (const prompt of [
      ['first', 'second'],
      [[1, 2], [3]],
    ]) {
      const err = await llm.completions.create({ model: MODEL, prompt, max_tokens: 3 }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.error).toMatchObject({ param: 'prompt' });
      expect(err.message).toContain('one prompt a request');
    }
    // One prompt, whatever its form: a string in an array, token ids, token ids in an array.
    for (const prompt of [['only one'], [1, 2, 3], [[1, 2, 3]]]) {
      const r = await llm.completions.create({ model: MODEL, prompt, max_tokens: 3, seed: 1 });
      expect(r.choices).toHaveLength(1);
      expect(r.usage!.completion_tokens).toBe(3);
    }
  });

  it('lists its models', async () => {
    const page = await llm.models.list();
    expect(page.data.map((m) => m.id)).toEqual([MODEL]);
    if (specAvailable) {
      const raw = await (await fetch(`${vllm.url}/v1/models`)).json();
      expect(schemaErrors('ListModelsResponse', raw)).toEqual([]);
    }
  });

  it('rejects an unknown model as vLLM does (404 NotFoundError)', async () => {
    const err = await llm.chat.completions.create({ model: 'nope', messages }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.message).toContain('The model `nope` does not exist.');
  });

  it('rejects malformed requests with a 400 and a message naming the field', async () => {
    const err = await llm.chat.completions.create({ model: MODEL, messages: [{ role: 'user' }] as never, max_tokens: -1 }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toMatch(/max_tokens/);
  });
});

describe('TEI mock through the openai client', () => {
  it("embeds a batch as base64 (openai-node's default) and as floats, deterministically", async () => {
    const input = ['first document', 'second document'];
    const b64 = await emb.embeddings.create({ model: 'BAAI/bge-large-en-v1.5', input });
    const floats = await emb.embeddings.create({ model: 'BAAI/bge-large-en-v1.5', input, encoding_format: 'float' });
    conforms('CreateEmbeddingResponse', floats);
    expect(b64.data).toHaveLength(2);
    for (const [i, text] of input.entries()) {
      const expected = Array.from(embedText(text, 1024));
      expect(b64.data[i]!.embedding).toEqual(expected);
      expect(floats.data[i]!.embedding).toHaveLength(1024);
      floats.data[i]!.embedding.forEach((x, j) => {
        expect(x).toBeCloseTo(expected[j]!, 6);
      });
    }
    expect(floats.usage.prompt_tokens).toBeGreaterThan(0);
    const norm = Math.hypot(...floats.data[0]!.embedding);
    expect(norm).toBeCloseTo(1, 5);
  });

  it("serves TEI's own /embed, /info and /health", async () => {
    const r = await fetch(`${tei.url}/embed`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: ['a', 'b'] }),
    });
    const vectors = (await r.json()) as number[][];
    expect(vectors).toHaveLength(2);
    expect(vectors[0]).toHaveLength(1024);
    const info = (await (await fetch(`${tei.url}/info`)).json()) as Record<string, unknown>;
    expect(info.model_id).toBe('BAAI/bge-large-en-v1.5');
    expect((await fetch(`${tei.url}/health`)).status).toBe(200);
  });

  it("refuses a batch over TEI's client batch size with 413", async () => {
    const r = await fetch(`${tei.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'BAAI/bge-large-en-v1.5', input: Array.from({ length: 33 }, (_, i) => `doc ${i}`) }),
    });
    expect(r.status).toBe(413);
    expect(r.headers.get('x-mock-backend')).toBe('tei-a');
  });
});

describe.skipIf(!specAvailable)('the schema check itself', () => {
  it('fails on a wrong shape, so the checks above can fail', () => {
    expect(schemaErrors('CreateChatCompletionResponse', { id: 1, choices: 'x' }).length).toBeGreaterThan(0);
  });
});
