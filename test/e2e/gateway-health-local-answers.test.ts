/**
 * Passive outlier ejection reads what a backend did. A request the gateway answers itself — a count_tokens routed to
 * a backend that does not speak Anthropic's API (answered from its own tokenizer), or one whose translation for the
 * backend is refused — never reached the backend: it says nothing of its health. Counted as the backend's success,
 * any client's count_tokens reset a dead backend's failure streak, so it was never ejected and every other request
 * routed there kept paying its failed attempts.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';

const gw = await useGateway(`
version: 1
resilience: { attempts: 2, consecutiveFailures: 3 }
backends:
  dead: { url: "http://127.0.0.1:1" }
  ant: { url: "http://127.0.0.1:1", kind: anthropic }
  dead2: { url: "http://127.0.0.1:1" }
models:
  d: { targets: [{ backend: dead }] }
  a: { targets: [{ backend: ant }] }
  control: { targets: [{ backend: dead2 }] }
tenants:
  t: { keys: [sk-t] }
`);
const headers = { authorization: 'Bearer sk-t' };
const chat = (model = 'd', extra = {}) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 5, ...extra }, { headers });
const countTokens = () =>
  rawPost(`${gw.url}/v1/messages/count_tokens`, { model: 'd', messages: [{ role: 'user', content: 'hi' }] }, { headers });
const ejections = (backend = 'dead') => gw.eventsOf('ejection').filter((e) => e.backend === backend && e.ejected);

describe('backend health', () => {
  it('ejects a dead backend after its third failure in a row (the control)', async () => {
    expect((await chat('control')).status).toBe(502);
    expect((await chat('control')).status).toBe(502);
    expect(ejections('dead2').length).toBeGreaterThan(0);
  });

  it('is not reset by a count_tokens the gateway answered itself: a dead backend is still ejected', async () => {
    // Each chat: the attempt and its quick retry both refused (2 failures). Three in a row eject.
    for (let i = 0; i < 3 && ejections().length === 0; i++) {
      expect((await chat()).status).toBe(502);
      const c = await countTokens();
      expect(c.status).toBe(200);
      expect(c.headers['x-aigw-backend']).toBe('dead');
    }
    expect(ejections().length).toBeGreaterThan(0);
  });

  it('is not reset by a request whose translation for the backend is refused: the backend was never asked', async () => {
    for (let i = 0; i < 3 && ejections('ant').length === 0; i++) {
      expect((await chat('a')).status).toBe(502);
      // n > 1 cannot be sent to an Anthropic backend: 400 before anything goes upstream.
      expect((await chat('a', { n: 2 })).status).toBe(400);
    }
    expect(ejections('ant').length).toBeGreaterThan(0);
  });
});
