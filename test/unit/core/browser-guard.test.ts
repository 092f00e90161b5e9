/** Which requests the admin listener (without a key) takes for a web page's: the rule, case by case. */
import { describe, expect, it } from 'vitest';
import { browserProblem, OPEN_GATEWAY } from '../../../src/core/browser-guard.js';

const refused = (headers: { host?: string; origin?: string; 'sec-fetch-site'?: string }, local = '127.0.0.1') =>
  browserProblem(headers, local)?.code;

describe('a web page is told from a program', () => {
  it('programs: no Origin, the address they were given as Host', () => {
    for (const host of ['127.0.0.1:9901', 'localhost:9901', 'LOCALHOST', 'aigw.localhost:9901', '[::1]:9901', '127.0.0.2'])
      expect(refused({ host }), host).toBeUndefined();
    expect(refused({ host: '[::1]:9901' }, '::1')).toBeUndefined();
    // HTTP/1.0 without Host (HAProxy's default health check): no browser sends that.
    expect(refused({})).toBeUndefined();
  });

  it('a name some DNS answer moved onto loopback (rebinding) is refused', () => {
    for (const host of [
      'evil.example:9901',
      'evil.example',
      'localhost.evil.example:9901',
      '127.0.0.1.nip.io:9901',
      '',
      '[::1',
      'localhost.',
    ])
      expect(refused({ host }), host).toBe('forbidden');
    expect(refused({ host: 'evil.example:9901' }, '::ffff:127.0.0.1')).toBe('forbidden');
    expect(refused({ host: 'evil.example:9901' }, '::1')).toBe('forbidden');
  });

  it('beyond loopback the Host is the operator’s business (a service name, a pod address)', () => {
    expect(refused({ host: 'aigw-admin.monitoring.svc:9901' }, '10.1.2.3')).toBeUndefined();
  });

  it('beyond loopback a rebound name is refused to what a browser sent: a container behind 127.0.0.1:9901, a LAN', () => {
    for (const local of ['172.17.0.2', '192.168.1.20']) {
      // A rebound page's POST /aigw/reset carries its own origin, which matches the rebound Host.
      expect(refused({ host: 'evil.test:9901', origin: 'http://evil.test:9901' }, local), local).toBe('forbidden');
      expect(refused({ host: 'evil.test:9901', 'sec-fetch-site': 'same-origin' }, local), local).toBe('forbidden');
    }
    expect(refused({ host: '192.168.1.20:9901', origin: 'http://192.168.1.20:9901' }, '192.168.1.20')).toBeUndefined();
  });

  it('a page from another origin is refused wherever it connects; its own origin is not', () => {
    expect(refused({ host: '127.0.0.1:9901', origin: 'https://evil.example' })).toBe('forbidden');
    expect(refused({ host: '127.0.0.1:9901', origin: 'null' })).toBe('forbidden');
    expect(refused({ host: 'aigw:9901', origin: 'http://other:9901' }, '10.1.2.3')).toBe('forbidden');
    expect(refused({ host: '127.0.0.1:9901', origin: 'http://127.0.0.1:9901' })).toBeUndefined();
    expect(refused({ origin: 'https://evil.example' })).toBe('forbidden');
  });

  it("a page's no-cors GET names no Origin, only the site it came from: another site's is refused", () => {
    // Sent twice, node:http joins the values (`none, cross-site`): no longer the one value a browser sends, refused.
    for (const site of ['cross-site', 'same-site', 'CROSS-SITE', '', 'none, cross-site', 'same-origin, same-origin'])
      expect(refused({ host: '127.0.0.1:9901', 'sec-fetch-site': site }), site).toBe('forbidden');
    // The operator's address bar, and a page the listener served itself.
    for (const site of ['none', 'same-origin']) expect(refused({ host: '127.0.0.1:9901', 'sec-fetch-site': site }), site).toBeUndefined();
  });
});

describe('the open gateway (its rule applies to requests a browser sent)', () => {
  const gateway = (headers: { host?: string; origin?: string }, local: string) => browserProblem(headers, local, OPEN_GATEWAY)?.code;
  it('holds a rebound name to the Host rule on any address: a container behind a port published on 127.0.0.1, a LAN', () => {
    for (const local of ['172.17.0.2', '192.168.1.20', '127.0.0.1'])
      expect(gateway({ host: 'evil.test:8080', origin: 'http://evil.test:8080' }, local), local).toBe('forbidden');
    expect(gateway({ host: '192.168.1.20:8080', origin: 'http://192.168.1.20:8080' }, '192.168.1.20')).toBeUndefined();
    expect(gateway({ host: 'localhost:8080' }, '172.17.0.2')).toBeUndefined();
  });
});
