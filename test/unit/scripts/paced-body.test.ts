import { describe, expect, it } from 'vitest';
import { pacedBody } from '../../../scripts/lib/streams-mode.js';

describe("bench:overhead's paced stream request", () => {
  it('asks the bench upstream for one chunk per interval, with usage', () => {
    const b = JSON.parse(pacedBody(200, 100));
    expect(b).toMatchObject({ model: 'bench', max_tokens: 200, stream: true, stream_options: { include_usage: true } });
    expect(b.messages[0].content).toBe('Talk slowly. [[mock tps=10]]');
  });

  it.each([1, 32, 1000])('carries a prompt of %i KiB after the directive, within the 1 MiB the upstream takes', (kib) => {
    const text = pacedBody(200, 100, kib);
    const content: string = JSON.parse(text).messages[0].content;
    expect(content.startsWith('Talk slowly. [[mock tps=10]] ')).toBe(true);
    expect(content.length - 'Talk slowly. [[mock tps=10]]'.length).toBe(kib * 1024);
    expect(Buffer.byteLength(text)).toBeLessThan(1024 * 1024);
  });
});
