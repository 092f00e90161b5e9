/**
 * The admin URL's user and password, and the admin key, never reach what `top` shows: fetch's errors quote the
 * URL, undici's quote a bad header value whole (line break included), and the status line repeated them on
 * every retry.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/tui/admin-client.js';
import { adminUrlProblem, keyProblem, shownMessage } from '../../../src/tui/admin-target.js';
import { App } from '../../../src/tui/app.js';

let server: Server | undefined;
afterEach(async () => {
  if (!server) return;
  server.closeAllConnections();
  await new Promise((r) => server!.close(r));
  server = undefined;
});

/** A listener that wants a key: 401 to everything. */
async function listener(): Promise<number> {
  server = createServer((_req, res) => res.writeHead(401).end());
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

async function statuses(admin: string, key?: string): Promise<string[]> {
  const seen: string[] = [];
  const client = new AdminClient(
    { admin, key, intervalMs: 10 },
    { stats: () => {}, event: () => {}, status: (_ok, e) => seen.push(String(e)) },
  );
  client.start();
  const until = Date.now() + 3000;
  while (seen.length < 3 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  client.stop();
  return seen;
}

describe('what top shows of its admin URL and key', () => {
  it('never shows the password of a URL with credentials, in the status line or the title', async () => {
    const admin = `http://admin:s3cret-pass@127.0.0.1:${await listener()}`;
    const seen = await statuses(admin);
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) expect(s).not.toMatch(/s3cret|admin:/);
    expect(seen[0]).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+: /);
    const r = render(<App admin={admin} width={240} />);
    await new Promise((res) => setTimeout(res, 100));
    const f = r.lastFrame() ?? '';
    r.unmount();
    expect(f).toContain('aigw top http://127.0.0.1:');
    expect(f).not.toContain('s3cret');
  });

  it('never shows a key that is not a valid header value, and says what is wrong with it', async () => {
    const seen = await statuses(`http://127.0.0.1:${await listener()}`, 'sk-bad\nkey');
    expect(seen.length).toBeGreaterThan(0);
    for (const s of seen) {
      expect(s).not.toContain('sk-bad');
      expect(s).not.toContain('\n');
    }
    expect(seen[0]).toMatch(/admin key .* is not a valid HTTP header value/);
  });

  it('checks a URL and a key without quoting them, and shows messages one line and secret-free', () => {
    expect(adminUrlProblem('http://127.0.0.1:9901')).toBeUndefined();
    expect(adminUrlProblem('http://a:pw@127.0.0.1:9901')).toMatch(/must not carry a user or password/);
    expect(adminUrlProblem('http://a:pw@127.0.0.1:9901')).not.toContain('pw');
    expect(adminUrlProblem('127.0.0.1:9901 x')).toMatch(/not a URL/);
    expect(adminUrlProblem('file:///etc/passwd')).toMatch(/http:\/\/ or https:\/\//);
    // The admin paths go after it: a query or a fragment swallowed them (every poll asked for `/`, a 404).
    for (const odd of ['http://127.0.0.1:9901/?x', 'http://127.0.0.1:9901#f', 'http://127.0.0.1:9901?'])
      expect(adminUrlProblem(odd)).toMatch(/no query/);
    expect(adminUrlProblem('http://127.0.0.1:9901/behind/a/proxy')).toBeUndefined();
    expect(keyProblem('sk-fine key\twith tab')).toBeUndefined();
    for (const bad of ['a\nb', 'a\rb', 'a\u0000b', 'ключ']) expect(keyProblem(bad)).toMatch(/not shown here/);
    expect(shownMessage('bad header sk-x\ny in https://u:p@h/x', 'sk-x\ny')).toBe('bad header [key] in https://h/x');
  });
});
