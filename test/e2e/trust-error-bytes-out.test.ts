/**
 * A request's `bytesOut` (its event, the log line's `NB`) is the bytes the client was sent. An error answer's body
 * is JSON text naming what the client sent — a model name outside ASCII is written in UTF-8 — and was counted in
 * UTF-16 code units: `modèle-日本` refused said fewer bytes than went out.
 */
import { describe, expect, it } from 'vitest';
import { ONE_MOCK_PROFILE, useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(ONE_MOCK_PROFILE);
const NAME = 'modèle-日本-🦙';

describe('bytesOut of an error answer', () => {
  it("is an error body's byte length, for a model name outside ASCII", async () => {
    const r = await rawPost(
      `${gw.url}/v1/chat/completions`,
      { model: NAME, messages: [{ role: 'user', content: 'hi' }] },
      { headers: { 'x-request-id': 'err-bytes' } },
    );
    expect(r.status).toBe(404);
    expect(r.body.toString()).toContain(NAME);
    expect((await gw.requestEvent('err-bytes')).bytesOut).toBe(r.body.length);
  });
});
