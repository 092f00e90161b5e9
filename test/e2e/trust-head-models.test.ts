/**
 * HEAD on `/v1/models` and `/v1/models/{id}` is answered as GET is, without the body (attacker review): RFC 9110 §9.1
 * has every general-purpose server support HEAD wherever it supports GET, and `/healthz` did — `/v1/models` answered
 * 405 and closed the connection, so a monitor or load balancer checking the model list by HEAD saw the gateway down.
 */
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';
import { writeAndReadToClose } from '../helpers/raw.js';

const gw = await useGateway(ONE_MOCK_PROFILE);

describe('HEAD on the model list', () => {
  it.each([
    ['/v1/models', 200],
    ['/v1/models/m', 200],
    ['/v1/models/nope', 404],
  ])('%s is answered as GET, head only', async (path, status) => {
    const get = await fetch(`${gw.url}${path}`);
    const getBody = await get.text();
    const read = await writeAndReadToClose(gw.url, `HEAD ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`, 5000);
    expect(read.slice(0, 12)).toBe(`HTTP/1.1 ${status}`);
    expect(get.status).toBe(status);
    expect(read).toMatch(new RegExp(`\\r\\ncontent-length: ${Buffer.byteLength(getBody)}\\r\\n`, 'i'));
    // No body after the head.
    expect(read.endsWith('\r\n\r\n')).toBe(true);
  });
});
