/**
 * A request admitted before a reload that rotated its backend's key finishes on the profile it began with: its
 * attempt's headers and the secrets scrubbed from its answer are that profile's. A reload rewrote the kept backend's
 * headers in place, so a request still waiting for a connection slot went upstream with the new key while its answer
 * was scrubbed of the old one: a backend that echoed the credential it was sent handed the new key to the client.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { eventually, gatewayFor, profileFor } from '../helpers/gateway.js';
import { useUpstream } from '../helpers/upstream.js';

const OLD = 'sk-old-key-1111111111';
const NEW = 'sk-new-key-2222222222';

const profile = (key: string) => `
version: 1
backends:
  b: { url: "{{b}}", apiKey: "${key}", maxConnections: 1 }
models:
  m: { targets: [{ backend: b }] }
`;

const BODY = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 5 });
const post = (url: string) =>
  fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: BODY });

describe("a reload that rotates a backend's key", () => {
  it('leaves a request queued for a connection on the old key, its answer scrubbed of it', async () => {
    const held: ServerResponse[] = [];
    const sent: string[] = [];
    const up = await useUpstream((req, res) => {
      sent.push(String(req.headers.authorization));
      if (sent.length === 1) return void held.push(res);
      // A backend that quotes the credential it was sent in its refusal.
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `bad request for key ${req.headers.authorization}`, type: 'invalid_request_error' } }));
    });
    const g = await gatewayFor(profile(OLD), { b: up.url });
    try {
      const first = post(g.url);
      await eventually(() => held.length === 1);
      // Admitted, waiting for the backend's one connection.
      const second = post(g.url);
      await eventually(() => g.gateway.state.runtime.backends.get('b')!.slots.queued === 1);
      expect((await g.stack.reload(profileFor(profile(NEW), { b: up.url }))).ok).toBe(true);
      held[0]!.writeHead(200, { 'content-type': 'application/json' });
      held[0]!.end(
        JSON.stringify({
          id: 'x',
          object: 'chat.completion',
          choices: [],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
        }),
      );
      expect((await first).status).toBe(200);
      const answer = await second;
      const text = await answer.text();
      expect(answer.status).toBe(400);
      expect(text).not.toContain(NEW);
      expect(text).not.toContain(OLD);
      expect(sent).toEqual([`Bearer ${OLD}`, `Bearer ${OLD}`]);
      // A request that starts after the reload is sent the new key.
      await (await post(g.url)).text();
      expect(sent[2]).toBe(`Bearer ${NEW}`);
    } finally {
      await g.close();
    }
  });
});
