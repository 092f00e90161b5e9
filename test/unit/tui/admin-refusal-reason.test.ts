/**
 * Why the admin listener refuses `top`: the gateway says it in its error's message (a name on loopback as Host without
 * admin.key — `aigw top --admin http://$(hostname):9901` — is 403 "answers only an address or localhost as Host; set
 * admin.key to reach it by another name"), and `top` showed `admin answered HTTP 403` alone, the reason thrown away.
 * It now shows the message, as text and cut, from a bounded read of a JSON body; any other body is not read.
 */
import { describe, expect, it } from 'vitest';
import { aigwError } from '../../../src/core/errors.js';
import { renderError } from '../../../src/openai/error-shape.js';
import { AdminClient } from '../../../src/tui/admin-client.js';
import { eventually } from '../../helpers/eventually.js';
import { useServer } from '../../helpers/upstream.js';

/** The status line `top` shows for a listener answering every request `status` with `body` of `type`. */
async function statusFor(status: number, type: string, body: string, key?: string): Promise<string> {
  const url = await useServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(body));
  let shown: string | undefined;
  const client = new AdminClient({ admin: url, key, intervalMs: 20 }, { stats: () => {}, event: () => {}, status: (_c, e) => (shown = e) });
  client.start();
  try {
    await eventually(() => shown !== undefined, 5000);
    return shown!;
  } finally {
    client.stop();
  }
}

describe("the admin listener's reason for a refusal", () => {
  it('is shown beside its status', async () => {
    const refusal = renderError(
      aigwError(
        'forbidden',
        'the admin listener on loopback answers only an address or localhost as Host; set admin.key to reach it by another name',
      ),
    );
    expect(refusal.status).toBe(403);
    const shown = await statusFor(403, 'application/json', refusal.body.toString());
    expect(shown).toBe(
      'admin answered HTTP 403: the admin listener on loopback answers only an address or localhost as Host; set admin.key to reach it by another name',
    );
  });

  it('is text: no escape sequence, no line break, the key not quoted, cut', async () => {
    const message = `\u001b]52;c;aGk=\u0007\u001b[2Jforged\nline sent key-123 ${'x'.repeat(2000)}`;
    const shown = await statusFor(418, 'application/json; charset=utf-8', JSON.stringify({ error: { message } }), 'key-123');
    expect(shown).toMatch(/^admin answered HTTP 418: \?\]52;c;aGk=\?\?\[2Jforged\?line sent \[key\] x+…$/);
    expect(shown.length).toBeLessThanOrEqual(512);
  });

  it('is not read from a body that is not JSON, nor past 4 KiB', async () => {
    expect(await statusFor(403, 'text/html', '<html>{"error":{"message":"page"}}</html>')).toBe('admin answered HTTP 403');
    const long = JSON.stringify({ error: { message: 'y'.repeat(5000) } });
    expect(await statusFor(403, 'application/json', long)).toBe('admin answered HTTP 403');
  });
});

describe('a 401', () => {
  it('says the key given was refused, not that none was given', async () => {
    const refusal = renderError(aigwError('invalid_api_key', 'admin key required'));
    expect(refusal.status).toBe(401);
    expect(await statusFor(401, 'application/json', refusal.body, 'sk-stale')).toBe(
      'the admin listener refused the key given (--key or AIGW_ADMIN_KEY): it is not its admin.key',
    );
    expect(await statusFor(401, 'application/json', refusal.body)).toBe('the admin listener wants a key (--key or AIGW_ADMIN_KEY)');
  });
});
