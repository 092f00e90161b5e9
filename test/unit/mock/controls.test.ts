import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_CHUNK_TOKENS, parseDirective, parseFault, readControls } from '../../../src/mock/controls.js';
import { parseProfile } from '../../../src/profile/load.js';
import { requestedTool } from '../../../src/mock/tool-call.js';

describe('mock controls', () => {
  it.each([
    ['status:503', { kind: 'status', status: 503 }],
    ['reset-before-headers', { kind: 'reset-before-headers' }],
    ['reset-after:100', { kind: 'reset-after', tokens: 100 }],
    ['close-after:5', { kind: 'close-after', tokens: 5 }],
    ['stall-after:3', { kind: 'stall-after', tokens: 3 }],
    ['slow-headers:2s', { kind: 'slow-headers', ms: 2000 }],
    ['error-after:12', { kind: 'error-after', tokens: 12 }],
    ['overloaded', { kind: 'status', status: 529 }],
  ])('fault %s', (spec, fault) => expect(parseFault(spec)).toEqual(fault));

  it.each(['status:abc', 'reset-after', 'error-after:x', 'explode', 'slow-headers:soon'])('rejects fault %s with a message', (spec) =>
    expect(typeof parseFault(spec)).toBe('string'),
  );

  it('reads a [[mock …]] directive from message text', () => {
    expect(parseDirective('please [[mock ttft=0ms tps=0 fault=reset-after:100]] thanks')).toEqual({
      ttft: '0ms',
      tps: '0',
      fault: 'reset-after:100',
    });
  });

  it('lets headers win over the directive', () => {
    const c = readControls({ 'x-mock-tps': '50', 'x-mock-quirks': 'ping,no-done' }, '[[mock tps=10 ttft=20ms]]');
    expect(c).toMatchObject({ tokensPerSecond: 50, ttftMs: 20, quirks: new Set(['ping', 'no-done']) });
  });

  it('names the bad value', () => {
    expect(readControls({ 'x-mock-quirks': 'pong' }, undefined)).toMatch(/unknown quirk "pong"/);
    expect(readControls({}, '[[mock ttft=soon]]')).toMatch(/ttft/);
  });
});

describe('a directive in a hostile prompt', () => {
  // The expression the parser replaced: same answers, without rescanning the rest of the text from each `[[mock`. Only
  // the keys a directive sets are kept (any other was ignored by every reader; kept, a million of them cost a GB).
  const KEYS = new Set(['ttft', 'tps', 'chunk', 'fault', 'quirks', 'tool', 'cache_read', 'cache_write']);
  const byRegex = (text: string) => {
    const m = /\[\[mock\s+([^\]]*)\]\]/.exec(text);
    const out: Record<string, string> = {};
    for (const pair of m ? m[1]!.trim().split(/\s+/) : []) {
      const eq = pair.indexOf('=');
      if (eq > 0 && KEYS.has(pair.slice(0, eq))) out[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    return out;
  };

  it('reads what the regular expression read, on any mix of openings, brackets and pairs', () => {
    const piece = fc.constantFrom(
      '[[mock',
      '[[mock ',
      '[',
      ']',
      ']]',
      ' ',
      '\n',
      '\u00a0',
      '\u3000',
      'tps=5',
      'a=1',
      'tool=f',
      'cache_read=3',
      '=',
      'fault=x=y',
      'x',
      '[[mock\t',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), (parts) => {
        const text = parts.join('');
        expect(parseDirective(text)).toEqual(byRegex(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads a directive of a million pairs keeping only the keys it sets, the last of each', () => {
    const pairs = Array.from({ length: 1_000_000 }, (_, i) => `k${i}=v`).join(' ');
    const t0 = performance.now();
    expect(parseDirective(`[[mock tps=1 ${pairs} __proto__=x constructor=y tps=7 ]]`)).toEqual({ tps: '7' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("quotes a directive's bad value, and the tools it could have named, within bounds", () => {
    const long = 'x'.repeat(1_000_000);
    for (const key of ['fault', 'ttft', 'tps', 'chunk', 'quirks']) {
      const message = readControls({}, `[[mock ${key}=${long}]]`);
      expect(typeof message).toBe('string');
      expect((message as string).length, key).toBeLessThan(600);
    }
    const tools = Array.from({ length: 10_000 }, (_, i) => ({ name: `${long.slice(0, 500)}${i}`, schema: {} }));
    expect((requestedTool(`[[mock tool=${long}]]`, tools) as string).length).toBeLessThan(6000);
  });

  it('reads 280 KB of openings without a closing in milliseconds (the expression took ~14 s)', () => {
    const text = '[[mock '.repeat(40_000);
    const t0 = performance.now();
    expect(parseDirective(text)).toEqual({});
    expect(parseDirective(`${'[[mock a]'.repeat(30_000)} [[mock tps=5]]`)).toEqual({ tps: '5' });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('refuses a rate so slow that no token would come (one per 10 min at the slowest)', () => {
    expect(readControls({ 'x-mock-tps': '0.000001' }, undefined)).toMatch(/tps: expected 0 \(no pacing\) or at least/);
    expect(readControls({ 'x-mock-tps': '0' }, undefined)).toMatchObject({ tokensPerSecond: 0 });
    expect(readControls({ 'x-mock-tps': '0.5' }, undefined)).toMatchObject({ tokensPerSecond: 0.5 });
  });

  it('refuses an event so large it would be built whole in memory (a stream is otherwise flat)', () => {
    expect(readControls({}, '[[mock chunk=100000000]]')).toMatch(/chunk: expected an integer from 1 to 65536/);
    expect(readControls({ 'x-mock-chunk-tokens': '65537' }, undefined)).toMatch(/chunk:/);
    expect(readControls({}, '[[mock chunk=65536]]')).toMatchObject({ tokensPerChunk: 65_536 });
  });

  it("holds a profile's mock.tokensPerChunk to the same bound", () => {
    const mock = (n: number) =>
      parseProfile(
        `version: 1\nbackends:\n  v: { url: "http://127.0.0.1:1", mock: { kind: vllm, tokensPerChunk: ${n} } }\nmodels:\n  m: { targets: [{ backend: v }] }\n`,
        'p.yaml',
        {},
      );
    expect(mock(MAX_CHUNK_TOKENS).ok).toBe(true);
    const over = mock(MAX_CHUNK_TOKENS + 1);
    expect(over.ok).toBe(false);
    expect(JSON.stringify(over)).toMatch(/tokensPerChunk/);
  });
});
