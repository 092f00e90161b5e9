import { describe, expect, it } from 'vitest';
import { readOptions } from '../../../scripts/lib/overhead-options.js';

describe("bench:overhead's options", () => {
  it('defaults', () => {
    expect(readOptions([])).toEqual({
      ok: true,
      value: expect.objectContaining({ rounds: 3, seconds: 5, connections: 50, only: undefined, counts: [], streamSeconds: 20 }),
    });
    expect(readOptions([])).toMatchObject({
      ok: true,
      value: { intervalMs: 100, promptKiB: 0, rampMs: 1000, cadenceMs: 10, pin: true, heap: false, warmupSeconds: 5 },
    });
  });

  const good: [string, string[], Record<string, unknown>][] = [
    ['stream counts, ascending or not', ['--streams', '2000, 1000'], { counts: [2000, 1000] }],
    ['direct is always kept', ['--only', 'bare,aigw'], { only: ['direct', 'bare', 'aigw'] }],
    ['a zero ramp', ['--ramp', '0'], { rampMs: 0 }],
    ['fractional seconds of streaming', ['--stream-seconds', '2.5'], { streamSeconds: 2.5 }],
    ['streams only', ['--streams-only', '--streams', '10'], { streamsOnly: true }],
    ['no pinning', ['--no-pin'], { pin: false }],
    ['a longer warm-up, in fractions of a second too', ['--warmup', '12.5'], { warmupSeconds: 12.5 }],
    ['streams with long prompts', ['--streams', '600', '--stream-prompt-kib', '32'], { promptKiB: 32 }],
    ['a baseline build', ['--baseline', '/work/base', '--only', 'aigw,base'], { baseline: '/work/base', only: ['direct', 'aigw', 'base'] }],
    ['help wins over bad values', ['--help', '--rounds', 'x'], { help: true }],
  ];
  for (const [name, args, value] of good) it(name, () => expect(readOptions(args)).toMatchObject({ ok: true, value }));

  const bad: [string, string[], string][] = [
    ['an unknown option', ['--bogus'], "Unknown option '--bogus'"],
    ['zero rounds', ['--rounds', '0'], '--rounds must be a positive integer'],
    ['no warm-up', ['--warmup', '0'], '--warmup must be a positive number'],
    ['fractional connections', ['--connections', '1.5'], '--connections must be a positive integer'],
    ['a negative ramp', ['--ramp=-1'], '--ramp must be a non-negative integer'],
    ['a stream count that is not a number', ['--streams', '1000,lots'], '--streams takes positive integers'],
    ['an unknown target', ['--only', 'envoy'], 'unknown target(s) envoy'],
    ['a baseline target without a baseline build', ['--only', 'aigw,base-tenant'], 'targets base and base-tenant need --baseline DIR'],
    ['streams only without streams', ['--streams-only'], '--streams-only needs --streams N'],
    ['a prompt the bench upstream would refuse', ['--stream-prompt-kib', '1024'], '--stream-prompt-kib must be at most 1000'],
    ['a fractional prompt size', ['--stream-prompt-kib', '0.5'], '--stream-prompt-kib must be a non-negative integer'],
    ['a value missing', ['--rounds'], "Option '--rounds <value>' argument missing"],
  ];
  for (const [name, args, message] of bad) {
    it(`refuses ${name}`, () => {
      const r = readOptions(args);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toContain(message);
    });
  }
});
