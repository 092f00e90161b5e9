/** A mock vLLM or TEI server on a real socket: routes, body reading, error replies, /mock/stats and /mock/control. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { guarded } from '../core/guard.js';
import { listenOn } from '../core/listen.js';
import { loadTokenCounter, type TokenCounter } from '../openai/tokens.js';
import { MockContext, type MockSettings } from './context.js';
import { readBody, sendJson } from './http.js';
import { updatePace } from './pace.js';
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
      sendJson(res, 200, JSON.stringify({ name: ctx.name, kind: ctx.config.kind, ...statsOf(ctx) }), ctx.identity),
    'POST /mock/reset': (_q, res) => {
      ctx.stats.reset();
      ctx.prefill.reset();
      ctx.pace = ctx.initialPace;
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
    ...paceRoutes(ctx),
    'POST /v1/chat/completions': (req, res, json) => handleCompletion('chat', req, res, json, ctx),
    'POST /v1/completions': (req, res, json) => handleCompletion('completions', req, res, json, ctx),
    'GET /v1/models': (_q, res) => sendJson(res, 200, modelList(ctx), ctx.identity),
  };
}

/** The stats route's body: what the mock saw and sent, and for completion mocks its prefill account and pace. */
function statsOf(ctx: MockContext): object {
  if (ctx.config.kind === 'tei') return ctx.stats.toJSON();
  return { ...ctx.stats.toJSON(), prefixCache: ctx.prefill.toJSON(), pace: ctx.pace };
}

/** `/mock/control` (the pace, changed while running) and vLLM's own `/reset_prefix_cache`. */
function paceRoutes(ctx: MockContext): Record<string, Route> {
  const paceBody = () => JSON.stringify({ pace: ctx.pace, initial: ctx.initialPace });
  return {
    'GET /mock/control': (_q, res) => sendJson(res, 200, paceBody(), ctx.identity),
    'POST /mock/control': (_q, res, json) => {
      const next = updatePace(ctx.pace, ctx.initialPace, json ?? {});
      if (typeof next === 'string') return sendJson(res, 400, vllmError(400, `mock control: ${next}`, 'BadRequestError'), ctx.identity);
      ctx.pace = Object.freeze(next);
      sendJson(res, 200, paceBody(), ctx.identity);
    },
    'POST /reset_prefix_cache': (_q, res) => {
      ctx.prefill.cache?.clear();
      res.writeHead(200, { ...ctx.identity, 'content-length': 0 });
      res.end();
    },
  };
}

/** Starts a mock on `host:port` (port 0 picks a free one); resolves once it accepts connections. */
export async function startMock(settings: MockSettings, port = 0, host = '127.0.0.1'): Promise<RunningMock> {
  const tokens = await loadTokenCounter();
  const ctx = new MockContext(settings, tokens);
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
          json = buf.length === 0 && !path.startsWith('/v1/') && path !== '/embed' ? undefined : JSON.parse(buf.toString('utf8'));
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
  // Headers and body within 30 s (a trickling upload is cut, as on the gateway).
  const server: Server = createServer({ keepAliveTimeout: 5000, headersTimeout: 30_000, requestTimeout: 30_000 }, guarded(handler, failed));
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
