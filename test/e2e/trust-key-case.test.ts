/**
 * A backend written in Go reads a JSON body with encoding/json, which matches an object's keys to a struct's fields
 * regardless of case — Unicode simple folding, so `ſ` (U+017F) is `s` and the Kelvin sign `k` — the last key that
 * folds to a field winning (golang/go#43664): Ollama's and LocalAI's OpenAI endpoints do (gin's ShouldBindJSON), as
 * does ASP.NET's System.Text.Json. The gateway read the lowercase keys alone: beside `"model":"cheap"`, a later
 * `"MODEL":"premium-upstream"` was the model such a backend served, past the tenant's allow-list; `"MAX_TOKENS"` or
 * `"N"` what it generated while the gateway reserved, and capped the charge at, `max_tokens` × `n`; `"ſtream"` a
 * stream where the gateway read none. Here the scripted backend reads keys as Go does.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const KEY = 'sk-tenant-key-case';

/** A key as encoding/json folds it (bytes.EqualFold): ASCII case, the long s and the Kelvin sign; ASP.NET's dotless i. */
const goFold = (k: string): string =>
  [...k].map((c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c === '\u0131' ? 'i' : c.toLowerCase())).join('');

/** The value encoding/json puts in the field named `name`: the last key that folds to it, in the body's order. */
function goField(body: Record<string, unknown>, name: string): unknown {
  let v: unknown;
  for (const k of Object.keys(body)) if (goFold(k) === name) v = body[k];
  return v;
}

const up = await useUpstream((_req, res, text) => {
  const body = JSON.parse(text) as Record<string, unknown>;
  const model = goField(body, 'model') as string;
  const perAnswer = (goField(body, 'max_tokens') as number | undefined) ?? 16;
  const answers = (goField(body, 'n') as number | undefined) ?? 1;
  const usage = { prompt_tokens: 5, completion_tokens: perAnswer * answers, total_tokens: 5 + perAnswer * answers };
  if (goField(body, 'stream') === true) {
    // The usage chunk only when stream_options.include_usage, as Go reads it, says so.
    const so = goField(body, 'stream_options');
    const withUsage = so !== null && typeof so === 'object' && goField(so as Record<string, unknown>, 'include_usage') === true;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(
      `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content: `served by ${model}` }, finish_reason: 'stop' }] })}\n\n` +
        (withUsage ? `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', model, choices: [], usage })}\n\n` : '') +
        'data: [DONE]\n\n',
    );
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id: 'x',
      object: 'chat.completion',
      model,
      choices: Array.from({ length: answers }, (_, index) => ({
        index,
        message: { role: 'assistant', content: `served by ${model}` },
        finish_reason: 'length',
      })),
      usage,
    }),
  );
});

const gw = await useGateway(
  `
version: 1
backends:
  go: { url: "{{u}}" }
models:
  cheap: { targets: [{ backend: go, model: cheap-upstream }] }
  premium: { targets: [{ backend: go, model: premium-upstream }] }
tenants:
  t:
    keys: ["${KEY}"]
    models: [cheap]
    limits: { tpm: 100000000 }
`,
  { u: up.url },
);

const MESSAGES = [{ role: 'user', content: 'write' }];

const ask = (body: Record<string, unknown>, id: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, body, { headers: { authorization: `Bearer ${KEY}`, 'x-request-id': id } });

/** Refused 400 naming `param`, and nothing reached the backend. */
async function refused(body: Record<string, unknown> | string, param: string, id: string): Promise<void> {
  const before = up.seen.length;
  const r =
    typeof body === 'string'
      ? await fetch(`${gw.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'x-request-id': id },
          body,
        }).then(async (res) => ({ status: res.status, body: Buffer.from(await res.arrayBuffer()) }))
      : await ask(body, id);
  const text = r.body.toString();
  expect(r.status, text).toBe(400);
  const error = (JSON.parse(text) as { error: { code: string; param: string } }).error;
  expect(error.code).toBe('invalid_request');
  expect(error.param).toBe(param);
  expect(up.seen.length).toBe(before);
}

describe('a top-level key a backend reads regardless of case', () => {
  it("a second model spelt in capitals is refused: a Go backend would serve it, past the tenant's allow-list", async () => {
    await refused({ model: 'cheap', messages: MESSAGES, MODEL: 'premium-upstream' }, 'MODEL', 'case-model');
  });

  it('a model key spelt with an escape and capitals is read decoded, and refused', async () => {
    await refused(
      `{"model":"cheap","messages":[{"role":"user","content":"hi"}],"\\u004dodel":"premium-upstream"}`,
      'Model',
      'case-escaped',
    );
  });

  it('MAX_TOKENS beside max_tokens: refused, not charged 1 token for the 4,000 a Go backend generates', async () => {
    await refused({ model: 'cheap', messages: MESSAGES, max_tokens: 1, MAX_TOKENS: 4000 }, 'MAX_TOKENS', 'case-max-tokens');
  });

  it('N beside max_tokens: refused, not charged one answer for eight', async () => {
    await refused({ model: 'cheap', messages: MESSAGES, max_tokens: 100, N: 8 }, 'N', 'case-n');
  });

  it('stream spelt with a long s (U+017F), which Go folds to s: refused, not a stream the gateway did not read', async () => {
    await refused({ model: 'cheap', messages: MESSAGES, '\u017ftream': true }, '\u017ftream', 'case-long-s');
  });

  it('max_tokens spelt with the Kelvin sign (U+212A) for its k: refused', async () => {
    await refused({ model: 'cheap', messages: MESSAGES, max_tokens: 1, 'max_to\u212aens': 4000 }, 'max_to\u212aens', 'case-kelvin');
  });

  it('stream_options.INCLUDE_USAGE false after include_usage: refused, not a stream whose usage never comes', async () => {
    await refused(
      { model: 'cheap', messages: MESSAGES, stream: true, stream_options: { include_usage: true, INCLUDE_USAGE: false } },
      'stream_options.INCLUDE_USAGE',
      'case-include-usage',
    );
  });

  it('a stream spelt as the API spells it is served and charged its usage', async () => {
    const r = await ask({ model: 'cheap', messages: MESSAGES, stream: true, max_tokens: 9 }, 'case-stream');
    expect(r.status).toBe(200);
    expect((await gw.requestEvent('case-stream')).tokens.output).toBe(9);
  });

  it('keys spelt as the API spells them are served, and a capitalised key the gateway does not read passes as sent', async () => {
    const r = await ask({ model: 'cheap', messages: MESSAGES, max_tokens: 7, n: 2, X_Trace: 'a' }, 'case-plain');
    expect(r.status, r.body.toString()).toBe(200);
    expect(r.body.toString()).toContain('served by cheap-upstream');
    expect(JSON.parse(up.seen.at(-1)!.body).X_Trace).toBe('a');
    expect((await gw.requestEvent('case-plain')).tokens.output).toBe(14);
  });
});
