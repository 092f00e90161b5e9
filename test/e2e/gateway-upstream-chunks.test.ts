/**
 * A backend's chunked stream through the whole gateway, framed every way HTTP/1.1 allows and a way it does not: aigw's
 * client reads plain chunks itself and hands any other chunk line to llhttp mid-answer (src/upstream/h1-body.ts). The
 * client must see every event, in order, then [DONE]; a chunk whose data is not followed by CRLF must end the stream
 * with an error frame and a truncation, never as if it were whole.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../helpers/gateway.js';
import { rawPost, streamedText } from '../helpers/raw.js';
import { useRawUpstream } from '../helpers/upstream.js';

const event = (text: string) =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"${text}"},"finish_reason":null}]}\n\n`;
const WORDS = ['one', ' two', ' three', ' four', ' five', ' six'];
const DONE = 'data: [DONE]\n\n';

/** Chunk frames: each event in a chunk of its own, its size spelt `spell`, with `ext` after it. */
const frame = (data: string, spell: (n: number) => string = (n) => n.toString(16), ext = '') =>
  `${spell(Buffer.byteLength(data))}${ext}\r\n${data}\r\n`;

const upstream = await useRawUpstream((socket, request) => {
  const kind = /x-framing: (\S+)/.exec(request)?.[1];
  socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
  const frames = [
    frame(event(WORDS[0]!)),
    frame(event(WORDS[1]!), (n) => n.toString(16).toUpperCase()),
    frame(event(WORDS[2]!), undefined, ';ext="a b"'),
    // After llhttp took over: plain again, then leading zeros.
    frame(event(WORDS[3]!)),
    frame(event(WORDS[4]!), (n) => `000${n.toString(16)}`),
    frame(event(WORDS[5]!)),
    frame(DONE),
    '0\r\nx-trailer: t\r\n\r\n',
  ];
  if (kind === 'no-crlf') frames[1] = frames[1]!.replace(/\r\n$/, 'xx');
  // One frame a loop turn, some cut mid-line: every read boundary the relay can meet.
  const bytes = frames.join('');
  const cuts = [5, 130, 131, 260, 300, 420, 421, 600, bytes.length - 3, bytes.length];
  let from = 0;
  const next = (i: number) => {
    if (i >= cuts.length || socket.destroyed) return;
    socket.write(bytes.slice(from, cuts[i]));
    from = cuts[i]!;
    setTimeout(() => next(i + 1), 5);
  };
  next(0);
});

const gw = await useGateway(
  `
version: 1
backends:
  raw: { url: "{{raw}}" }
models:
  m: { targets: [{ backend: raw }] }
`,
  { raw: upstream.url },
);

const stream = (framing: string) =>
  rawPost(
    `${gw.url}/v1/chat/completions`,
    { model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }], max_tokens: 6 },
    { headers: { 'x-framing': framing } },
  );

describe("a backend's chunked stream, framed every way, through aigw", () => {
  it('plain chunks, upper-case sizes, an extension, leading zeros and trailers: every event in order, then [DONE]', async () => {
    const r = await stream('mixed');
    expect(r.status).toBe(200);
    expect(streamedText(r.events)).toBe(WORDS.join(''));
    expect(r.body.toString()).toMatch(/data: \[DONE\]\n\n$/);
    expect(gw.eventsOf('truncation')).toEqual([]);
  });

  it("a chunk's data not followed by CRLF: the stream ends with an error frame and no [DONE], counted as a truncation", async () => {
    const r = await stream('no-crlf');
    expect(r.body.toString()).not.toContain('[DONE]');
    expect(JSON.parse(r.events.at(-1)!.data!).error.code).toBe('upstream_stream_error');
    // The bad frame's data came whole before its missing CRLF (as llhttp and undici hand it over too); nothing after.
    expect(streamedText(r.events.slice(0, -1))).toBe(WORDS[0]! + WORDS[1]!);
    expect(gw.eventsOf('truncation').at(-1)).toMatchObject({ backend: 'raw', stream: true });
  });
});
