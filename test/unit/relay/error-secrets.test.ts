/**
 * A configured secret that a backend echoes in a stream's error event reaches neither the client nor the
 * upstream_error event: not a part of it left by the cut to 500 characters (secrets are removed first), not one
 * spelt with JSON escapes (removed from what the client's parser reads).
 */
import { describe, expect, it } from 'vitest';
import { makeScrubber } from '../../../src/core/scrub.js';
import { AnthropicSseRelay } from '../../../src/relay/anthropic-sse-relay.js';
import { relayDialect } from '../../../src/relay/dialect.js';
import type { Scrub } from '../../../src/core/scrub.js';
import { translatorFor } from '../../../src/translate/pairs.js';
import { SseDecoder, type SseEvent } from '../../../src/openai/sse.js';
import { SseRelay } from '../../../src/relay/sse-relay.js';
import { fakeClient, relayOn } from '../../helpers/relay-client.js';

/** The events a client's SSE parser reads out of `text`. */
function clientEvents(text: string): SseEvent[] {
  const out: SseEvent[] = [];
  new SseDecoder().push(Buffer.from(text), { onEvent: (ev: SseEvent) => void out.push(ev) });
  return out;
}

/** The stream relay the gateway builds for a client of `client`'s API on a backend of the other. */
function translatedRelay(client: 'openai' | 'anthropic', out: ReturnType<typeof fakeClient>['out'], s: Scrub) {
  const r = translatorFor(client, client === 'openai' ? 'anthropic' : 'openai')!(
    { model: 'm', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] },
    'up',
    0,
  );
  if (!r.ok) throw new Error(r.error.message);
  return relayDialect(client, r.value)!.streamRelay(out, () => {}, 1 << 20, s);
}

function headed() {
  const c = fakeClient();
  c.out.writeHead(200, {});
  return c;
}

/** The longest start of `secret` (4 characters or more) found in `text`, or ''. */
function leakedPrefix(text: string, secret: string): string {
  for (let n = secret.length; n >= 4; n--) if (text.includes(secret.slice(0, n))) return secret.slice(0, n);
  return '';
}

const SECRET = 'sk-backend-0123456789abcdefghijklmnopqrstuvwxyz';
const scrub = makeScrubber([SECRET]);
/** A message that puts the secret across character 500 of what the client's frame repeats after `prefix`. */
const straddling = (prefix: string) => `${'x'.repeat(500 - prefix.length - (SECRET.length - 1))}${SECRET}`;
const anthropicError = (message: string) => JSON.stringify({ type: 'error', error: { type: 'api_error', message } });

describe('a secret across the 500-character cut of a backend error message', () => {
  it('OpenAI backend → Anthropic client: no part of it in the frame', () => {
    const c = headed();
    const relay = translatedRelay('anthropic', c.out, scrub);
    relay.push(Buffer.from(`data: ${JSON.stringify({ error: { message: straddling('backend stream error: ') } })}\n\n`));
    expect(relay.failed).toBeDefined();
    expect(c.text()).toContain('[redacted]');
    expect(leakedPrefix(c.text(), SECRET)).toBe('');
  });

  it('Anthropic backend → OpenAI client: no part of it in the frame', () => {
    const c = headed();
    const relay = translatedRelay('openai', c.out, scrub);
    relay.push(Buffer.from(`event: error\ndata: ${anthropicError(straddling('backend stream error (api_error: '))}\n\n`));
    expect(relay.failed).toBeDefined();
    expect(leakedPrefix(c.text(), SECRET)).toBe('');
  });

  it('Anthropic passthrough: no part of it in the failure the upstream_error event publishes', () => {
    const c = headed();
    const relay = new AnthropicSseRelay(c.out, () => {}, 1 << 20, scrub);
    relay.push(Buffer.from(`event: error\ndata: ${anthropicError(straddling('api_error: '))}\n\n`));
    expect(leakedPrefix(scrub(relay.failed!.message), SECRET)).toBe('');
    expect(leakedPrefix(c.text(), SECRET)).toBe('');
  });
});

describe('a secret written with JSON escapes in an error event', () => {
  it('Anthropic passthrough: `\\/` (PHP) or `\\u0026` (Go) does not hide it from the scrub; the event keeps its shape', () => {
    const secret = 'Zm9v/YmFy&cXV4-secret';
    const c = headed();
    const relay = new AnthropicSseRelay(c.out, () => {}, 1 << 20, makeScrubber([secret]));
    relay.push(
      Buffer.from(
        'event: error\ndata: {"type":"error","error":{"type":"authentication_error","message":"bad key Zm9v\\/YmFy\\u0026cXV4-secret"}}\n\n',
      ),
    );
    const event = JSON.parse(c.text().split('data: ')[1]!) as { type: string; error: { type: string; message: string } };
    expect(event).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'bad key [redacted]' } });
  });

  it('translated: a secret holding `"` or `\\` is removed before the frame is rendered', () => {
    const secret = 'p4ss"w\\rd-0123';
    const c = headed();
    const relay = translatedRelay('openai', c.out, makeScrubber([secret]));
    relay.push(Buffer.from(`event: error\ndata: ${anthropicError(`bad ${secret}`)}\n\n`));
    const frame = JSON.parse(c.text().split('data: ')[1]!) as { error: { message: string } };
    expect(frame.error.message).not.toContain(secret);
    expect(frame.error.message).toContain('[redacted]');
  });
});

describe('an error event the client reads otherwise than JSON.parse would', () => {
  const secret = 'sk-SECRET-0123456789';
  const escaped = 'sk-\\u0053ECRET-0123456789';

  it('Anthropic passthrough, several data lines: the client reads exactly the text scrubbed', () => {
    const c = headed();
    const relay = new AnthropicSseRelay(c.out, () => {}, 1 << 20, makeScrubber([secret]));
    // Joined, `A\ndata: B` is not JSON; after one `data: `, a client read the second line as its own field: `A\nB`.
    relay.push(Buffer.from(`event: error\ndata: {"type":"error","error":{"type":"api_error","message":\ndata: data: "${escaped}"}}\n\n`));
    expect(relay.failed).toBeDefined();
    const error = clientEvents(c.text()).find((e) => e.event === 'error')!;
    let read = error.data ?? '';
    try {
      read = JSON.stringify(JSON.parse(read));
    } catch {}
    expect(read).not.toContain(secret);
  });

  it('a pretty-printed error event keeps its lines as data lines', () => {
    const c = headed();
    const relay = new AnthropicSseRelay(c.out, () => {}, 1 << 20, makeScrubber([secret]));
    relay.push(Buffer.from('event: error\ndata: {"type":"error",\ndata:  "error":{"type":"overloaded_error","message":"busy"}}\n\n'));
    const error = clientEvents(c.text()).find((e) => e.event === 'error')!;
    expect(JSON.parse(error.data!)).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'busy' } });
  });

  it('OpenAI passthrough: an error member after the id, in a chunk JSON.parse refuses (-Infinity, as Python reads it)', () => {
    const { c, relay } = relayOn(SseRelay, false, 1 << 20, makeScrubber([secret]));
    relay.push(Buffer.from('data: {"id":"1","model":"m","choices":[{"delta":{"content":"a"}}]}\n\n'));
    relay.push(
      Buffer.from(
        `data: {"id":"1","model":"m","error":{"message":"bad key ${secret}"},"choices":[{"logprobs":{"content":[{"logprob":-Infinity}]}}]}\n\n`,
      ),
    );
    expect(relay.failed).toBeDefined();
    expect(c.text()).not.toContain(secret);
  });

  it.each([
    '{"object":"error","message":"sk-SECRET-0123456789","0":1}',
    '{"type":"error","error":{"message":"sk-SECRET-0123456789"},"1":2}',
  ])('%s: an error by its first member as spelt (JSON.parse lists integer-like names first)', (data) => {
    const { c, relay } = relayOn(SseRelay, false, 1 << 20, makeScrubber([secret]));
    relay.push(Buffer.from('data: {"id":"1","model":"m","choices":[{"delta":{"content":"a"}}]}\n\n'));
    relay.push(Buffer.from(`data: ${data}\n\n`));
    expect(relay.failed).toBeDefined();
    expect(c.text()).not.toContain(secret);
  });

  it('translated (OpenAI backend → Anthropic client): `"error": null` in a chunk is content', () => {
    const c = headed();
    const relay = translatedRelay('anthropic', c.out, makeScrubber([secret]));
    relay.push(Buffer.from('data: {"id":"1","model":"m","error":null,"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n'));
    expect(relay.failed).toBeUndefined();
    expect(c.text()).toContain('"text":"hi"');
  });
});
