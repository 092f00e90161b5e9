/**
 * A scripted upstream for cases the mocks do not cover (odd dialects, broken framing, captures): a real
 * node:http server, or a raw TCP server that writes exactly the bytes a test gives it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { anthropicMessage } from './anthropic-sse.js';
import { cleanupScope } from './cleanup.js';

export interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  rawHeaders: string[];
  body: string;
  /** The body's bytes as they arrived (`body` is their UTF-8 reading). */
  bytes: Buffer;
}

/**
 * A bare node:http server on 127.0.0.1 that hands each request to `handler` as it arrives (its body unread); its URL.
 * `onConnection` sees each connection (to count those open).
 */
export async function useServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  onConnection?: (socket: Socket) => void,
): Promise<string> {
  const cleanupAfter = cleanupScope();
  const server = createServer(handler);
  if (onConnection) server.on('connection', onConnection);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanupAfter(() => {
    server.closeAllConnections();
    return new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

export async function useUpstream(
  handler: (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void,
): Promise<{ url: string; seen: Captured[] }> {
  const cleanupAfter = cleanupScope();
  const seen: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const bytes = Buffer.concat(chunks);
      const body = bytes.toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, rawHeaders: req.rawHeaders, body, bytes });
      handler(req, res, body, seen.length);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanupAfter(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

/** A TCP server that answers each connection with `respond(socket, requestText)` once a request head arrived. */
export async function useRawUpstream(
  respond: (socket: Socket, request: string) => void,
): Promise<{ url: string; connections: () => number }> {
  const cleanupAfter = cleanupScope();
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const head = buf.indexOf('\r\n\r\n');
      if (head < 0) return;
      const len = Number(/content-length: (\d+)/i.exec(buf.slice(0, head))?.[1] ?? 0);
      if (buf.length - head - 4 < len) return;
      const req = buf;
      buf = '';
      respond(socket, req);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanupAfter(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, connections: () => connections };
}

/** An upstream that answers every request with the event stream `stream`, whole. */
export const useSseUpstream = (stream: string): Promise<{ url: string; seen: Captured[] }> =>
  useUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(stream);
  });

/** An upstream that answers the event stream `stream` to a request asking for one (`"stream": true`), else the JSON `body`. */
export const useStreamOrBodyUpstream = (stream: string, body: string): Promise<{ url: string; seen: Captured[] }> =>
  useUpstream((_req, res, sent) => {
    if (JSON.parse(sent).stream === true) res.writeHead(200, { 'content-type': 'text/event-stream' }).end(stream);
    else res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });

/**
 * An OpenAI backend's non-streamed answer whose one tool call is `name` with `args` as its arguments (`[1]`: not a JSON
 * object, what a model told to write it writes), sent as a whole body with its length.
 */
export function sendToolCallAnswer(res: ServerResponse, name: string, args: string, completionTokens = 100): void {
  const answer = JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    model: 'm',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name, arguments: args } }] },
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: completionTokens, total_tokens: 10 + completionTokens },
  });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) }).end(answer);
}

/** One scripted OpenAI answer: its message (non-streamed), the deltas a stream carries instead, its finish and usage. */
export interface ScriptedChatAnswer {
  message: object;
  deltas: object[];
  finish: string;
  usage: { prompt_tokens: number; completion_tokens: number };
}

/**
 * An OpenAI backend that gives every request the same answer: a chat.completion, or, when the request streams, a
 * chunk per delta, one with the finish reason, the usage chunk and `[DONE]`.
 */
export const useScriptedChatUpstream = (a: ScriptedChatAnswer): Promise<{ url: string; seen: Captured[] }> =>
  useUpstream((_req, res, body) => {
    const usage = { ...a.usage, total_tokens: a.usage.prompt_tokens + a.usage.completion_tokens };
    if ((JSON.parse(body) as { stream?: boolean }).stream !== true) {
      const answer = { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'gpt', usage };
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ ...answer, choices: [{ index: 0, message: a.message, finish_reason: a.finish }] }));
      return;
    }
    const chunk = (o: object) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt', ...o })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(
      a.deltas.map((delta) => chunk({ choices: [{ index: 0, delta, finish_reason: null }] })).join('') +
        chunk({ choices: [{ index: 0, delta: {}, finish_reason: a.finish }] }) +
        chunk({ choices: [], usage }) +
        'data: [DONE]\n\n',
    );
  });

/** An Anthropic backend's Message of one text block. */
export const anthropicTextMessage = (text: string, usage: { input_tokens: number; output_tokens: number; [k: string]: unknown }): string =>
  anthropicMessage([{ type: 'text', text }], 'end_turn', usage);

/** A whole non-streamed chat answer, `ok`, with `usage`: a backend that answered well. */
export const okChatAnswer = (usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }): string =>
  JSON.stringify({
    id: 'x',
    object: 'chat.completion',
    created: 1,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
    usage,
  });

/** okChatAnswer with 1 prompt and 1 completion token. */
export const OK_CHAT_ANSWER = okChatAnswer();

/** A content block as a strict Anthropic backend reads it in a request's messages. */
export type RequestBlock = { type: string; id?: string; tool_use_id?: string; text?: string };

/**
 * An Anthropic backend as strict as Anthropic's API: a request whose messages' blocks `refusal` names a problem in is
 * answered 400 invalid_request_error with that message; any other gets the text "Sunny.".
 */
export function useStrictAnthropic(refusal: (blocks: RequestBlock[]) => string | undefined): ReturnType<typeof useUpstream> {
  return useUpstream((_req, res, body) => {
    const messages = (JSON.parse(body) as { messages: { content: unknown }[] }).messages;
    const message = refusal(messages.flatMap((m) => (Array.isArray(m.content) ? (m.content as RequestBlock[]) : [])));
    if (message !== undefined) {
      res
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(anthropicTextMessage('Sunny.', { input_tokens: 9, output_tokens: 2 }));
  });
}
