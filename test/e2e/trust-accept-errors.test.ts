/**
 * A listener whose accept fails keeps serving (attacker review). Node emits such a failure as an 'error' on the server
 * (net.js onconnection: `self.emit('error', errnoException(err, 'accept'))`) and goes on listening — libuv answers
 * EMFILE with a reserve descriptor of its own, but not once that reserve is gone (a thread took the descriptor it freed
 * for a moment), nor ENFILE, ENOBUFS or a network error the kernel hands over with a pending connection. Nobody
 * listened for 'error' on the gateway's, the admin's or the mocks' servers once they were listening: the first such
 * accept took the process down with every request in flight (`Error: accept EMFILE … at TCP.onconnection`, as
 * parse-server#6716 saw in production). The errors here are the ones onconnection emits.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';
import { captureStderr } from '../helpers/stderr.js';

const gw = await useGateway(ONE_MOCK_PROFILE);

function acceptError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`accept ${code}`), { code, errno: code === 'EMFILE' ? -24 : -105, syscall: 'accept' });
}

describe('an accept that failed', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each([
    ['gateway', () => gw.gateway.server, () => `${gw.url}/healthz`],
    ['admin', () => gw.admin.server, () => `${gw.adminUrl}/healthz`],
  ] as const)('on the %s listener is said on stderr, at most once in 10 s, and the listener serves on', async (_name, server, health) => {
    const stderr = captureStderr();
    server().emit('error', acceptError('EMFILE'));
    server().emit('error', acceptError('EMFILE'));
    server().emit('error', acceptError('ENOBUFS'));
    const said = stderr.filter((l) => l.includes('failed to accept'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/EMFILE \(out of file descriptors: raise `ulimit -n`\)/);
    expect((await fetch(health())).status).toBe(200);
  });
});
