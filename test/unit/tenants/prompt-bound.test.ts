/** What a request could hold in prompt tokens, read off the bytes sent or, for a translation, its parsed body. */
import { describe, expect, it } from 'vitest';
import type { ProxyRequest } from '../../../src/openai/parse-request.js';
import { inlineMediaExcess, PART_TOKENS, promptParts, promptTokensBound, textTokensBound } from '../../../src/tenants/prompt-bound.js';

const request = (body: unknown, sent: boolean) => {
  const text = JSON.stringify(body);
  return {
    bytes: Buffer.byteLength(text),
    json: sent ? {} : body,
    sentBody: sent ? Buffer.from(text) : undefined,
  } as unknown as ProxyRequest;
};
const user = (content: unknown) => ({ model: 'm', messages: [{ role: 'user', content }] });

describe('promptTokensBound', () => {
  it('twice the bytes and a preamble, and 32,768 an image or audio part: the same from bytes sent or a parsed body', () => {
    const body = user([
      { type: 'text', text: 'hi' },
      { type: 'image_url', image_url: { url: 'u' } },
      { type: 'input_audio', input_audio: {} },
    ]);
    for (const sent of [true, false]) {
      const p = request(body, sent);
      expect(textTokensBound(p)).toBe(2 * p.bytes + 4096);
      expect(promptTokensBound(p)).toBe(2 * p.bytes + 4096 + 2 * 32_768);
    }
  });

  it('tools with JSON Schema parameters, and a message saying "type", add nothing', () => {
    const tool = (i: number) => ({
      type: 'function',
      function: {
        name: `f${i}`,
        parameters: { type: 'object', properties: { a: { type: 'string' }, c: { type: 'array', items: { type: 'integer' } } } },
      },
    });
    const tools = request({ ...user('hi'), tools: Array.from({ length: 20 }, (_, i) => tool(i)), tool_choice: { type: 'auto' } }, true);
    expect(promptTokensBound(tools)).toBe(textTokensBound(tools));
    const words = request({ model: 'm', messages: Array.from({ length: 100 }, () => ({ role: 'user', content: 'type' })) }, true);
    expect(promptTokensBound(words)).toBe(textTokensBound(words));
  });

  it.each([
    ['an Anthropic PDF by URL', user([{ type: 'document', source: { type: 'url', url: 'https://x/report.pdf' } }])],
    ['an OpenAI file', user([{ type: 'file', file: { file_id: 'file-1' } }])],
    ['a video', user([{ type: 'video_url', video_url: { url: 'https://x/v.mp4' } }])],
    ['a server tool', { ...user('find it'), tools: [{ type: 'web_search_20250305', name: 'web_search' }] }],
    // Typed "url", as an image's source is: the remote server's tools and results are the backend's input.
    ['MCP servers', { ...user('use them'), mcp_servers: [{ type: 'url', url: 'https://mcp.x/sse', name: 'docs' }] }],
    ["a client's chat template (vLLM renders it)", { ...user('x'), chat_template: '{% for i in range(99999) %}x {% endfor %}' }],
    ['a chat template in chat_template_kwargs (vLLM before 0.11)', { ...user('x'), chat_template_kwargs: { chat_template: '{{ x }}' } }],
  ])('%s: no bound can be read off the request (charged as reported)', (_name, body) => {
    expect(promptTokensBound(request(body, true))).toBe(Number.POSITIVE_INFINITY);
    expect(promptTokensBound(request(body, false))).toBe(Number.POSITIVE_INFINITY);
  });

  it('template switches, and MCP servers or a chat template left empty, add nothing', () => {
    for (const extra of [{ chat_template_kwargs: { enable_thinking: false } }, { mcp_servers: [] }, { chat_template: null }]) {
      const p = request({ ...user('hi'), ...extra }, true);
      expect(promptTokensBound(p)).toBe(textTokensBound(p));
    }
  });

  it("a completions batch's suffix, read after each prompt: twice its bytes more for each prompt after the first", () => {
    const suffix = 'word '.repeat(1000);
    const completions = (body: unknown, sent: boolean) => ({ ...request(body, sent), endpoint: 'completions' }) as ProxyRequest;
    for (const sent of [true, false]) {
      const batch = completions({ model: 'm', prompt: ['a', 'b', 'c'], suffix }, sent);
      expect(promptTokensBound(batch)).toBe(textTokensBound(batch) + 2 * 2 * 5000);
      for (const prompt of ['a', ['a'], [1, 2, 3], ['a', 'b']]) {
        const p = completions({ model: 'm', prompt, ...(Array.isArray(prompt) && prompt.length === 2 ? {} : { suffix }) }, sent);
        expect(promptTokensBound(p)).toBe(textTokensBound(p));
      }
      // A chat's stray `prompt` and `suffix` are no batch.
      const chat = { ...request({ ...user('x'), prompt: ['a', 'b'], suffix }, sent), endpoint: 'chat' } as ProxyRequest;
      expect(promptTokensBound(chat)).toBe(textTokensBound(chat));
    }
  });

  it('walks a parsed body nested as deep as its size allows without recursion', () => {
    let deep: unknown = { type: 'image', source: { type: 'base64' } };
    for (let i = 0; i < 100_000; i++) deep = [deep];
    // (JSON.stringify itself cannot write it: its size is given.)
    const p = { bytes: 400_000, json: { ...user('x'), extra: deep } } as unknown as ProxyRequest;
    expect(promptTokensBound(p)).toBe(textTokensBound(p) + 32_768);
  });
});

describe('promptParts', () => {
  it('counts image and audio parts and the parts of kinds not known here, run as the tokenizer thread runs it', () => {
    // Serialised into the thread (token-worker.ts): it must hold everything it reads.
    const inThread = new Function(`return (${promptParts.toString()})`)() as typeof promptParts;
    const body = user([
      { type: 'text', text: 'hi' },
      { type: 'image_url', image_url: { url: 'u' } },
      { type: 'input_audio', input_audio: {} },
    ]);
    for (const f of [promptParts, inThread]) {
      expect(f(body)).toEqual({ media: 2, other: 0 });
      expect(
        f(
          user([
            { type: 'file', file: { file_id: 'f' } },
            { type: 'image_url', image_url: { url: 'u' } },
          ]),
        ),
      ).toEqual({
        media: 1,
        other: 1,
      });
      expect(f(undefined)).toEqual({ media: 0, other: 0 });
    }
  });
});

describe('inlineMediaExcess', () => {
  const picture = 'A'.repeat(600_000);
  const bytes = (b: unknown) => Buffer.byteLength(JSON.stringify(b));

  it("takes each inline image or audio part's bytes / 3 past PART_TOKENS off the estimate, and nothing else", () => {
    const body = user([
      { type: 'image_url', image_url: { url: `data:image/png;base64,${picture}` } },
      { type: 'input_audio', input_audio: { data: picture, format: 'wav' } },
      { type: 'text', text: picture },
    ]);
    const perPart = Math.ceil(600_000 / 3) - PART_TOKENS;
    const excess = inlineMediaExcess(body, bytes(body));
    expect(excess).toBeGreaterThanOrEqual(2 * perPart);
    expect(excess).toBeLessThan(2 * perPart + 20);
  });

  it('reads an Anthropic base64 source, one inside a tool_result too; a URL source or an image by URL costs its bytes', () => {
    const image = (data: string) => ({ type: 'image', source: { type: 'base64', media_type: 'image/png', data } });
    const body = user([
      image(picture),
      { type: 'tool_result', tool_use_id: 't', content: [image(picture)] },
      { type: 'image', source: { type: 'url', url: `https://x/${picture}` } },
      { type: 'image_url', image_url: { url: `https://x/${picture}` } },
    ]);
    const perPart = Math.ceil(600_000 / 3) - PART_TOKENS;
    expect(inlineMediaExcess(body, bytes(body))).toBe(2 * perPart);
  });

  it('is 0 for a body too small for a part to pass the bound', () => {
    const small = user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(90_000)}` } }]);
    expect(inlineMediaExcess(small, bytes(small))).toBe(0);
  });

  it('discounts a picture at the end of a long conversation (800 turns of content arrays)', () => {
    const turn = (i: number) => ({ role: i % 2 ? 'assistant' : 'user', content: [{ type: 'text', text: `turn ${i}` }] });
    const body = {
      model: 'm',
      messages: [
        ...Array.from({ length: 800 }, (_, i) => turn(i)),
        { role: 'user', content: [{ type: 'image_url', image_url: { url: `data:,${picture}` } }] },
      ],
    };
    expect(inlineMediaExcess(body, bytes(body))).toBe(Math.ceil((600_000 + 6) / 3) - PART_TOKENS);
  });

  it('takes nothing off text typed as an image where no content part stands (a message, a tool schema)', () => {
    const message = { model: 'm', messages: [{ role: 'user', type: 'image', content: picture }] };
    expect(inlineMediaExcess(message, bytes(message))).toBe(0);
    const tool = { ...user('hi'), tools: [{ type: 'image', image_url: { url: `data:,${picture}` } }] };
    expect(inlineMediaExcess(tool, bytes(tool))).toBe(0);
  });

  it('past the parts it reads, discounts what it found and leaves the rest its bytes', () => {
    const texts = Array.from({ length: 20_000 }, () => ({ type: 'text', text: 'x' }));
    const part = { type: 'image_url', image_url: { url: `data:,${picture}` } };
    const first = user([part, ...texts]);
    expect(inlineMediaExcess(first, bytes(first))).toBe(Math.ceil((600_000 + 6) / 3) - PART_TOKENS);
    const last = user([...texts, part]);
    expect(inlineMediaExcess(last, bytes(last))).toBe(0);
  });
});
