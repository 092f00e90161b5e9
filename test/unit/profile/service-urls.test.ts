/**
 * The collector's and the Redis store's URLs are read as their libraries read them (attacker review): a URL that
 * begins with http:// or redis:// and does not parse passed validate, then failed the gateway's start ("cannot
 * listen on …") or its reload — the OTLP exporter's message quoting the URL whole, a token in it included.
 */
import { describe, expect, it } from 'vitest';
import { parseProfile } from '../../../src/profile/load.js';
import { formatProblem } from '../../../src/profile/problems.js';

const base = (extra: string) => `version: 1
backends:
  a: { url: "http://127.0.0.1:8001" }
models:
  m: { targets: [{ backend: a }] }
${extra}
`;

const SECRET = 'S3CRET-svc-token-4417';

describe('service URLs that do not parse are profile problems at their key, never quoted', () => {
  it.each([
    ['a collector port past 65535', `observe: { tracing: { otlp: "http://aigw:${SECRET}@127.0.0.1:99999" } }`, 'observe.tracing.otlp'],
    [
      'a collector host that is a broken IPv6 address',
      `observe: { tracing: { otlp: "https://[::1/?token=${SECRET}" } }`,
      'observe.tracing.otlp',
    ],
    ['a collector URL with a space in its host', `observe: { tracing: { otlp: "http://col lector/${SECRET}" } }`, 'observe.tracing.otlp'],
    [
      'a collector URL with a query (spans would go to its root)',
      `observe: { tracing: { otlp: "http://127.0.0.1:4318?token=${SECRET}" } }`,
      'observe.tracing.otlp',
    ],
    ['a Redis port past 65535', `limits: { store: { redis: "redis://:${SECRET}@127.0.0.1:99999" } }`, 'limits.store.redis'],
    ['a Redis host that is a broken IPv6 address', `limits: { store: { redis: "rediss://:${SECRET}@[::1:6379" } }`, 'limits.store.redis'],
  ])('%s', (_name, extra, key) => {
    const r = parseProfile(base(extra), 'p.yaml', {});
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    expect(text).toMatch(new RegExp(`^p\\.yaml:\\d+:\\d+: error: ${key.replace(/\./g, '\\.')}: `, 'm'));
    expect(text).not.toContain(SECRET);
  });

  it('the same URL from the environment: named at its key, its value not shown', () => {
    const r = parseProfile(base('observe: { tracing: { otlp: "${OTLP_URL}" } }'), 'p.yaml', {
      OTLP_URL: `http://aigw:${SECRET}@collector:70000`,
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const text = r.problems.map(formatProblem).join('\n');
    expect(text).toContain('observe.tracing.otlp');
    expect(text).not.toContain(SECRET);
  });

  it('still takes what parses: a path, a password, a bare rediss:// host', () => {
    const r = parseProfile(
      base(
        'observe: { tracing: { otlp: "https://user:pw@collector.example.com:4318/otlp/" } }\n' +
          'limits: { store: { redis: "rediss://:pw@redis.example.com:6380/2" } }',
      ),
      'p.yaml',
      {},
    );
    expect(r.ok, r.ok ? '' : r.problems.map(formatProblem).join('\n')).toBe(true);
  });
});
