/**
 * A stream's first bytes that are JSON whitespace are held (they say nothing yet of an error object or events), but
 * only line ends are blank lines in SSE: a space or a tab begins a line — an event begun, due whole by
 * `timeouts.firstByte` as any other (trust 362). Held as blank lines, a backend that answered its head and then
 * trickled spaces, each inside the idle timeout, held the client with no head for 4 KiB of reads (~67 hours at the
 * defaults), and no other target was tried.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost } from '../helpers/raw.js';
import { useUpstream } from '../helpers/upstream.js';

const chunk = (t: string) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content: t }, finish_reason: null }] })}\n\n`;

const FIRST_BYTE_MS = 500;

/** A backend that answers a stream's head, then a space (or a tab) every 20 ms — never a line end. */
const spaces = (byte: string) =>
  useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const t = setInterval(() => res.write(byte), 20);
    res.on('close', () => clearInterval(t));
  });

/**
 * A proxy's refusal as a 2xx stream: its error object (after spaces, a read later, when `lead`), then a pause past the
 * deadline before it ends.
 */
const refusal = (lead: boolean) =>
  useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (lead) res.write('  \n');
    let t2: NodeJS.Timeout | undefined;
    const t = setTimeout(() => {
      res.write('{"error": {"message": "bad model", "type": "invalid_request_error", "code": "x"}}');
      t2 = setTimeout(() => res.end(), 2 * FIRST_BYTE_MS);
    }, 20);
    res.on('close', () => {
      clearTimeout(t);
      clearTimeout(t2);
    });
  });
const [refusing, plain] = [await refusal(true), await refusal(false)];

const [sp, tab, good] = [
  await spaces(' '),
  await spaces('\t'),
  await useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`${chunk('from good')}data: [DONE]\n\n`);
  }),
];
const gw = await useGateway(
  `
version: 1
timeouts: { firstByte: ${FIRST_BYTE_MS}ms, idle: ${10 * FIRST_BYTE_MS}ms }
resilience: { consecutiveFailures: 100 }
backends:
  sp: { url: "{{sp}}" }
  tab: { url: "{{tab}}" }
  good: { url: "{{good}}" }
  refusing: { url: "{{refusing}}" }
  plain: { url: "{{plain}}" }
models:
  refused: { targets: [{ backend: refusing }] }
  plainly: { targets: [{ backend: plain }] }
  alone: { targets: [{ backend: sp }] }
  tabs: { targets: [{ backend: tab }] }
  pair: { targets: [{ backend: sp }, { backend: good }] }
`,
  { sp: sp.url, tab: tab.url, good: good.url, refusing: refusing.url, plain: plain.url },
);

// Before: no head at all when the client gave up at 6 s (the trickle would have held it for ~80 s).
const ask = (model: string) =>
  rawPost(`${gw.url}/v1/chat/completions`, { model, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { abortAfterMs: 6_000 });

describe('a stream whose first bytes are spaces trickled a byte at a time', () => {
  it('times out at timeouts.firstByte: 504 upstream_timeout when no other target is left', async () => {
    for (const model of ['alone', 'tabs']) {
      const r = await ask(model);
      expect(r.status).toBe(504);
      expect(JSON.parse(r.body.toString()).error.code).toBe('upstream_timeout');
      expect(r.headersAt).toBeLessThan(8 * FIRST_BYTE_MS);
    }
  });

  it('fails over to the next target, nothing of the trickle reaching the client', async () => {
    const r = await ask('pair');
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe(`${chunk('from good')}data: [DONE]\n\n`);
  });

  it('reads an error object after spaces as the same error answer, not as a late first event', async () => {
    const [r, p] = [await ask('refused'), await ask('plainly')];
    expect(p.status).not.toBe(504);
    expect(r.status).toBe(p.status);
    expect(r.body.toString()).toBe(p.body.toString());
  });
});
