import { describe, expect, it } from 'vitest';
import { PROMPT_FILLER, pacedBody } from '../../../scripts/lib/streams-mode.js';

describe("bench:overhead's paced stream request", () => {
  it('asks the bench upstream for one chunk per interval, with usage', () => {
    const b = JSON.parse(pacedBody(200, 100));
    expect(b).toMatchObject({ model: 'bench', max_tokens: 200, stream: true, stream_options: { include_usage: true } });
    expect(b.messages[0].content).toBe('Talk slowly. [[mock tps=10]]');
  });

  it.each([
    [1, 'latin'],
    [32, 'latin'],
    [1000, 'latin'],
    [32, 'cyrillic'],
    [1000, 'cjk'],
  ] as const)('carries a prompt of %i KiB (%s) after the directive, within the 1 MiB the upstream takes', (kib, script) => {
    const text = pacedBody(200, 100, kib, script);
    const content: string = JSON.parse(text).messages[0].content;
    expect(content.startsWith(`Talk slowly. [[mock tps=10]] ${PROMPT_FILLER[script]}`)).toBe(true);
    const bytes = Buffer.byteLength(content) - Buffer.byteLength('Talk slowly. [[mock tps=10]]');
    expect(bytes).toBeLessThanOrEqual(kib * 1024);
    expect(bytes).toBeGreaterThan(kib * 1024 - Buffer.byteLength(PROMPT_FILLER[script]));
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
  });
});
