/** A mock server on a real socket (vLLM, TEI, Anthropic, Azure OpenAI): routes by kind, body reading, error replies, /mock/stats. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOn } from '../core/listen.js';
import { loadTokenCounter, type TokenCounter } from '../openai/tokens.js';
import { anthropicReject, handleCountTokens, handleMessages } from './anthropic.js';
import { azureNotFound, handleAzure, isAzurePath } from './azure.js';
import { azureErrorJson } from './azure-shapes.js';
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

/** How one kind of backend routes requests and words its errors. */
interface Dialect {
  routes: Record<string, Route>;
  /** A POST route for a path with parameters (Azure's deployments), when `routes` has none. */
  match?: (path: string) => Route | undefined;
  error(res: ServerResponse, status: number, message: string): void;
  /** No route for this method and path; `known`: the path exists with another method. */
  unrouted(res: ServerResponse, known: boolean): void;
}

function dialectFor(ctx: MockContext, tokens: TokenCounter): Dialect {
  const routes = routesFor(ctx, tokens);
  const { identity } = ctx;
  if (ctx.config.kind === 'anthropic') {
    return {
      routes: {
        ...routes,
        'POST /v1/messages': (req, res, json) => handleMessages(req, res, json, ctx, tokens),
        'POST /v1/messages/count_tokens': (req, res, json) => handleCountTokens(req, res, json, ctx, tokens),
      },
      error: (res, status, message) => anthropicReject(res, ctx, status, message),
      unrouted: (res, known) => anthropicReject(res, ctx, known ? 405 : 404, known ? 'Method Not Allowed' : 'Not Found'),
    };
  }
  if (ctx.config.kind === 'azure-openai') {
    const azure: Route = (req, res, json) => handleAzure(req, res, json, ctx, tokens);
    return {
      routes,
      match: (path) => (isAzurePath(path) ? azure : undefined),
      error: (res, status, message) =>
        sendJson(res, status, azureErrorJson(status === 400 ? 'BadRequest' : String(status), message), identity),
      unrouted: (res) => azureNotFound(res, ctx),
    };
  }
  return {
    routes,
    error: (res, status, message) =>
      sendJson(res, status, vllmError(status, message, status >= 500 ? 'InternalServerError' : 'BadRequestError'), identity),
    // FastAPI's own answers, as vLLM and TEI give them.
    unrouted: (res, known) =>
      sendJson(res, known ? 405 : 404, JSON.stringify({ detail: known ? 'Method Not Allowed' : 'Not Found' }), identity),
  };
}

/** The routes of every kind, and those of vLLM and TEI. */
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
  if (ctx.config.kind === 'anthropic' || ctx.config.kind === 'azure-openai') return common;
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
  const dialect = dialectFor(ctx, tokens);
  const { routes } = dialect;
  const paths = new Set(Object.keys(routes).map((k) => k.slice(k.indexOf(' ') + 1)));

  const server: Server = createServer({ keepAliveTimeout: 5000 }, (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = routes[`${req.method} ${path}`] ?? (req.method === 'POST' ? dialect.match?.(path) : undefined);
    ctx.stats.request(path);
    if (!route) return dialect.unrouted(res, paths.has(path) || !!dialect.match?.(path));
    if (req.method !== 'POST') return void route(req, res, undefined);
    readBody(req)
      .then(
        (buf) => {
          if (!buf) {
            res.setHeader('connection', 'close');
            return dialect.error(res, 413, 'request body too large');
          }
          let json: unknown;
          try {
            json = buf.length === 0 && path.startsWith('/mock/') ? undefined : JSON.parse(buf.toString('utf8'));
          } catch (e) {
            return dialect.error(res, 400, `JSON decode error: ${(e as Error).message}`);
          }
          return route(req, res, json);
        },
        () => res.destroy(),
      )
      .catch((e: unknown) => {
        if (!res.headersSent) dialect.error(res, 500, `mock failure: ${(e as Error).message}`);
        else res.destroy();
      });
  });
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
