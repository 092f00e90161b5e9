/** The tokenizer thread, loaded from source: counts exactly, bounds pathological input, never hangs a caller. */
import { afterAll, describe, expect, it } from 'vitest';
import { TokenWorker } from '../../../src/tenants/token-worker.js';
import { eventually } from '../../helpers/eventually.js';
import { lettersWithoutSpaces } from '../../helpers/letters.js';

const worker = new TokenWorker({ maxChars: 1024 * 1024, maxMs: 2000 });
afterAll(() => worker.stop());

describe('the token worker', () => {
  it('counts a chat with OpenAI framing', async () => {
    expect(await worker.count('chat', [{ role: 'user', content: 'hello world' }])).toEqual({ tokens: 9, exact: true });
  });

  it('counts a prompt still in the JSON bytes of a request body, as the same prompt parsed', async () => {
    const messages = [{ role: 'user', content: 'hello world \u00e9\u5317 "quoted"' }];
    const fromBody = Buffer.from(JSON.stringify({ model: 'm', messages, stream: true }));
    const counted = await worker.count('chat', { fromBody, field: 'messages' });
    expect(counted).toEqual(await worker.count('chat', messages));
    expect(counted!.tokens).toBeGreaterThan(9);
    // Bytes that are not a JSON object count as an empty prompt, never as a failure of the thread.
    expect(await worker.count('chat', { fromBody: Buffer.from('{"messages":'), field: 'messages' })).toEqual({ tokens: 3, exact: true });
    expect(
      await worker.count('prompt', { fromBody: Buffer.from('{"prompt":"hello world, how are you today?"}'), field: 'prompt' }),
    ).toEqual({
      tokens: 8,
      exact: true,
    });
  });

  it("says how many of a chat's message parts hold no text to count (images, audio, a video), from a body or its bytes", async () => {
    const messages = [
      { role: 'system', content: 'be brief' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'hello world' },
          { type: 'image_url', image_url: { url: 'https://x/a.png' } },
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          { type: 'video_url', video_url: { url: 'https://x/v.mp4' } },
        ],
      },
    ];
    const body = { model: 'm', messages, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] };
    const parsed = await worker.count('chat', body);
    expect(parsed).toMatchObject({ exact: true, untexted: 3 });
    expect(await worker.count('chat', { fromBody: Buffer.from(JSON.stringify(body)), field: undefined })).toEqual(parsed);
    expect(await worker.count('chat', { fromBody: Buffer.from(JSON.stringify(body)), field: 'messages' })).toMatchObject({ untexted: 3 });
  });

  it.each([
    ['a prompt', 'prompt', 'hello world, how are you today?', 8],
    ['special-token text, as ordinary text', 'prompt', '<|endoftext|>', 7],
    ['an answer body', 'completion', JSON.stringify({ choices: [{ message: { content: 'hello world' } }] }), 2],
    // vLLM's reasoning parsers and DeepSeek return the reasoning beside the answer: generated tokens too (uncounted, an
    // 8,000-token reasoning answer whose usage a backend put out of the tail's reach cost 24).
    [
      "an answer's reasoning (reasoning_content)",
      'completion',
      JSON.stringify({ choices: [{ message: { reasoning_content: 'hello world', content: 'hello world' } }] }),
      4,
    ],
    // An answer cut on its way is not JSON: its generated strings as far as they came, not its names or logprobs.
    [
      'a cut answer, by its generated strings',
      'completion',
      '{"id":"c1","choices":[{"message":{"content":"hello world"},"logprobs":{"content":[{"token":"hello","logprob":-0.1,"top_logprobs":[{"token":"x"}]}]}},{"message":{"reasoning_content":"hello wor',
      4,
    ],
    ['a text that is not an answer, as it is', 'completion', 'hello world', 2],
    // An Anthropic Message without usage (a backend that leaves it out): its text, thinking and tool input (name and
    // JSON), never 0 — `hello world` twice, `f{"a":1}`.
    [
      'an Anthropic Message, by its text, thinking and tool input',
      'completion',
      JSON.stringify({
        type: 'message',
        content: [
          { type: 'thinking', thinking: 'hello world', signature: 'sig' },
          { type: 'text', text: 'hello world' },
          { type: 'tool_use', id: 't', name: 'f', input: { a: 1 } },
        ],
      }),
      10,
    ],
    // Known by its content blocks, not its `type`: the SDK needs none (without it, a Message counted 0).
    [
      'an Anthropic Message without `type`',
      'completion',
      JSON.stringify({ role: 'assistant', content: [{ type: 'text', text: 'hello world' }] }),
      2,
    ],
    [
      "an answer's reasoning (reasoning), once",
      'completion',
      JSON.stringify({ choices: [{ message: { reasoning: 'hello world', reasoning_content: 'hello world', content: null } }] }),
      2,
    ],
  ] as const)('counts %s', async (_name, kind, payload, tokens) => {
    expect(await worker.count(kind, payload)).toEqual({ tokens, exact: true });
  });
});

describe('the token worker behind counts that take their whole budget', () => {
  it('answers a count that waited past its bound as not counted, and the thread skips the stale ones', async () => {
    // Each of these counts runs its whole 1 s budget: twelve in a row are 12 s of the thread's time. The bounds below
    // (5 s, 6 s) are far from both what it takes now (~1.5 s: the count running when the bound passes) and that.
    const w = new TokenWorker({ maxChars: 4 * 1024 * 1024, maxMs: 1000 }, 500);
    const texts = Array.from({ length: 12 }, (_, i) => lettersWithoutSpaces(4 * 1024 * 1024, i + 1));
    try {
      const started = performance.now();
      const hogs = texts.map((text) => w.count('prompt', text));
      const mine = await w.count('chat', [{ role: 'user', content: 'hello world' }]);
      const waited = performance.now() - started;
      // Before: it waited for all twelve (~12 s), as a count_tokens answer waited behind 255 of 2 s — 8.5 minutes.
      expect(waited).toBeLessThan(5000);
      expect(mine).toBeUndefined();
      // Every caller is answered within its bound, and the thread skips what nobody waits for any more: its queue is
      // empty long before the twelve counts' 12 s.
      await Promise.all(hogs);
      await eventually(() => w.queued === 0, 5000);
      expect(performance.now() - started).toBeLessThan(6000);
      // And it counts again at once.
      expect(await w.count('chat', [{ role: 'user', content: 'hello world' }])).toEqual({ tokens: 9, exact: true });
    } finally {
      await w.stop();
    }
  }, 30_000);
});

describe("the token worker's turns", () => {
  it("hands the thread each tenant's counts in turn: one tenant's queue does not hold another's count", async () => {
    // Twelve counts of one tenant, each ~50 ms of the thread's time, then one of another's. In one queue in the order
    // they came (before), the other's count was answered after all twelve — behind 255 counts of 2 s each, its bound
    // (4 s) passed and its count_tokens answer was a size estimate. Measured by the order of the answers, not by time.
    const w = new TokenWorker({ maxChars: 4 * 1024 * 1024, maxMs: 10_000 }, Number.POSITIVE_INFINITY);
    const order: string[] = [];
    try {
      const hogs = Array.from({ length: 12 }, (_, i) =>
        w.count('prompt', lettersWithoutSpaces(200_000, i + 1), 'hog').then((c) => {
          order.push('hog');
          return c;
        }),
      );
      const mine = w.count('chat', [{ role: 'user', content: 'hello world' }], 'other').then((c) => {
        order.push('other');
        return c;
      });
      expect(await mine).toEqual({ tokens: 9, exact: true });
      for (const c of await Promise.all(hogs)) expect(c?.exact).toBe(true);
      // At most the two counts the thread held when it came.
      expect(order.indexOf('other'), order.join(' ')).toBeLessThanOrEqual(2);
      expect(w.queued).toBe(0);
    } finally {
      await w.stop();
    }
  }, 30_000);

  it("a tenant that fills the whole queue gives up its newest count for another tenant's, which is counted", async () => {
    // 256 counts of one tenant fill the queue (MAX_QUEUE) at once; another tenant's count came after them. Refused at
    // the queue's bound (before), it was answered "not counted" and charged — or its count_tokens answered — a size
    // estimate, for as long as one client kept the queue full; the turns never got the chance to serve it.
    const w = new TokenWorker({ maxChars: 4 * 1024 * 1024, maxMs: 10_000 }, Number.POSITIVE_INFINITY);
    try {
      const hogs = Array.from({ length: 256 }, (_, i) => w.count('prompt', `hello ${i}`, 'hog'));
      const mine = await w.count('chat', [{ role: 'user', content: 'hello world' }], 'other');
      expect(mine).toEqual({ tokens: 9, exact: true });
      const answers = await Promise.all(hogs);
      // One of the hog's counts, its newest, made the room: the rest were counted.
      expect(answers.filter((a) => a === undefined)).toHaveLength(1);
      expect(answers[255]).toBeUndefined();
      // A tenant already holding as many queued as the fullest does not take another's place.
      const again = Array.from({ length: 256 }, (_, i) => w.count('prompt', `hello ${i}`, 'hog'));
      expect(await w.count('prompt', 'x', 'hog')).toBeUndefined();
      await Promise.all(again);
      expect(w.queued).toBe(0);
    } finally {
      await w.stop();
    }
  }, 30_000);

  it('a count whose caller stopped waiting is never handed to the thread', async () => {
    const w = new TokenWorker({ maxChars: 4 * 1024 * 1024, maxMs: 1000 }, 200);
    try {
      const hogs = Array.from({ length: 6 }, (_, i) => w.count('prompt', lettersWithoutSpaces(4 * 1024 * 1024, i + 1), 'hog'));
      // All but the two in the thread are answered at their bound, and leave the queue as they are skipped.
      const answers = await Promise.all(hogs);
      expect(answers.filter((a) => a === undefined).length).toBeGreaterThanOrEqual(4);
      await eventually(() => w.queued === 0, 10_000);
      expect(await w.count('chat', [{ role: 'user', content: 'hello world' }], 'other')).toEqual({ tokens: 9, exact: true });
    } finally {
      await w.stop();
    }
  }, 30_000);
});

describe("the token worker's queue after a caller's bound", () => {
  it('a count whose caller waited its bound leaves the queue then, not when its turn comes', async () => {
    // Two counts of ~1 s each fill the thread; four more wait here. At their bound (200 ms) their callers are answered,
    // and the four leave the queue with their payloads — before, they stayed until the thread had finished the two.
    const w = new TokenWorker({ maxChars: 4 * 1024 * 1024, maxMs: 1000 }, 200);
    try {
      const hogs = Array.from({ length: 6 }, (_, i) => w.count('prompt', lettersWithoutSpaces(4 * 1024 * 1024, i + 1), 'hog'));
      await Promise.all(hogs.slice(2));
      expect(w.queued).toBeLessThanOrEqual(2);
      await Promise.all(hogs);
    } finally {
      await w.stop();
    }
  }, 30_000);
});
