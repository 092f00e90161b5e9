/** A mock vLLM or TEI server on a real socket: routes, body reading, error replies, /mock/stats. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { guarded } from '../core/guard.js';
import { listenOn } from '../core/listen.js';
import { loadTokenCounter, type TokenCounter } from '../openai/tokens.js';
import { MockContext, type MockSettings } from './context.js';
import { readBody, sendJson } from './http.js';
import { vllmError } from './shapes.js';
import { handleEmbed, handleEmbeddings, teiInfo } from './tei.js';
import { handleCompletion, modelList } from './vllm.js';

export interface RunningMock {
  readonly name: string;
  readonly kind: MockSettings['kind'];
  readonly url: string;
  readonly context: MockContext;
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse, json: unknown) => Promise<void> | void;

function routesFor(ctx: MockContext, tokens: TokenCounter): Record<string, Route> {
  const common: Record<string, Route> = {
    'GET /health': (_q, res) => {
      res.writeHead(200, { ...ctx.identity, 'content-length': 0 });
      res.end();
    },
    'GET /mock/stats': (_q, res) =>
      sendJson(res, 200, JSON.stringify({ name: ctx.name, kind: ctx.config.kind, ...ctx.stats.toJSON() }), ctx.identity),
    'POST /mock/reset': (_q, res) => {
      ctx.stats.reset();
      sendJson(res, 200, '{"ok":true}', ctx.identity);
    },
  };
  if (ctx.config.kind === 'tei') {
    return {
      ...common,
      'POST /v1/embeddings': (_q, res, json) => handleEmbeddings(res, json, ctx, tokens),
      'POST /embed': (_q, res, json) => handleEmbed(res, json, ctx),
      'GET /info': (_q, res) => sendJson(res, 200, teiInfo(ctx), ctx.identity),
    };
  }
  return {
    ...common,
    'POST /v1/chat/completions': (req, res, json) => handleCompletion('chat', req, res, json, ctx, tokens),
    'POST /v1/completions': (req, res, json) => handleCompletion('completions', req, res, json, ctx, tokens),
    'GET /v1/models': (_q, res) => sendJson(res, 200, modelList(ctx), ctx.identity),
  };
}

/** Starts a mock on `host:port` (port 0 picks a free one); resolves once it accepts connections. */
export async function startMock(settings: MockSettings, port = 0, host = '127.0.0.1'): Promise<RunningMock> {
  const tokens = await loadTokenCounter();
  const ctx = new MockContext(settings);
  const routes = routesFor(ctx, tokens);
  const paths = new Set(Object.keys(routes).map((k) => k.slice(k.indexOf(' ') + 1)));

  const handler = (req: IncomingMessage, res: ServerResponse): unknown => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = routes[`${req.method} ${path}`];
    ctx.stats.request(path, req.headers.traceparent);
    if (!route) {
      // FastAPI's own answers, as vLLM and TEI give them.
      const known = paths.has(path);
      return sendJson(res, known ? 405 : 404, JSON.stringify({ detail: known ? 'Method Not Allowed' : 'Not Found' }), ctx.identity);
    }
    if (req.method !== 'POST') return route(req, res, undefined);
    return readBody(req).then(
      (buf) => {
        if (!buf)
          return sendJson(res, 413, vllmError(413, 'request body too large', 'BadRequestError'), {
            ...ctx.identity,
            connection: 'close',
          });
        let json: unknown;
        try {
          json = buf.length === 0 && path.startsWith('/mock/') ? undefined : JSON.parse(buf.toString('utf8'));
        } catch (e) {
          return sendJson(res, 400, vllmError(400, `JSON decode error: ${(e as Error).message}`, 'BadRequestError'), ctx.identity);
        }
        return route(req, res, json);
      },
      () => void res.destroy(),
    );
  };
  const failed = (res: ServerResponse) =>
    sendJson(res, 500, vllmError(500, 'the mock failed to answer', 'InternalServerError'), ctx.identity);
  const server: Server = createServer({ keepAliveTimeout: 5000 }, guarded(handler, failed));
  server.on('clientError', (_err, socket) => socket.destroy());

  const url = await listenOn(server, host, port);
  return {
    name: settings.name,
    kind: settings.kind,
    url,
    context: ctx,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
