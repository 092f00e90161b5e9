/**
 * A mock server on a real socket (vLLM, TEI, Anthropic, Azure OpenAI): routes by kind, body reading, error
 * replies in the kind's own shape, /mock/stats and /mock/control.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { guarded } from '../core/guard.js';
import { listenOn, requestDeadlines } from '../core/listen.js';
import { loadTokenCounter, type TokenCounter } from '../openai/tokens.js';
import { anthropicRefusal, anthropicReject, handleCountTokens, handleMessages } from './anthropic.js';
import { azureNotFound, azureStatsPath, handleAzure, isAzurePath } from './azure.js';
import { azureErrorJson } from './azure-shapes.js';
import { answerClientError, type RawRefusal } from './client-error.js';
import { MockContext, type MockSettings } from './context.js';
import { cutUnreadAnswer } from '../core/unread-answer.js';
import { CLIENT_STALL_MS, readBody, sendJson } from './http.js';
import { updatePace } from './pace.js';
import { UNROUTED } from './stats.js';
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
  /** The stats key of a path `match` routes: few distinct ones, whatever the parameters clients send. */
  countAs?: (path: string) => string;
  /** A refusal's body (and headers of its own) in the dialect; `error` sends it. */
  refusal: RawRefusal;
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
      refusal: anthropicRefusal,
      error: (res, status, message) => anthropicReject(res, ctx, status, message),
      unrouted: (res, known) => anthropicReject(res, ctx, known ? 405 : 404, known ? 'Method Not Allowed' : 'Not Found'),
    };
  }
  if (ctx.config.kind === 'azure-openai') {
    const azure: Route = (req, res, json) => handleAzure(req, res, json, ctx, tokens);
    const refusal: RawRefusal = (status, message) => ({ body: azureErrorJson(status === 400 ? 'BadRequest' : String(status), message) });
    return {
      routes,
      match: (path) => (isAzurePath(path) ? azure : undefined),
      countAs: (path) => azureStatsPath(path, ctx),
      refusal,
      error: (res, status, message) => sendJson(res, status, refusal(status, message).body, identity),
      unrouted: (res) => azureNotFound(res, ctx),
    };
  }
  const refusal: RawRefusal = (status, message) => ({
    body: vllmError(status, message, status >= 500 ? 'InternalServerError' : 'BadRequestError'),
  });
  return {
    routes,
    refusal,
    error: (res, status, message) => sendJson(res, status, refusal(status, message).body, identity),
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
      sendJson(res, 200, JSON.stringify({ name: ctx.name, kind: ctx.config.kind, ...statsOf(ctx) }), ctx.identity),
    'POST /mock/reset': (_q, res) => {
      ctx.reset();
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
export async function startMock(
  settings: MockSettings,
  port = 0,
  host = '127.0.0.1',
  /** Headers and body of a request must arrive within this. */
  requestTimeoutMs = 30_000,
): Promise<RunningMock> {
  const tokens = await loadTokenCounter();
  const ctx = new MockContext(settings, tokens);
  const dialect = dialectFor(ctx, tokens);
  const { routes } = dialect;
  const paths = new Set(Object.keys(routes).map((k) => k.slice(k.indexOf(' ') + 1)));

  const stallMs = settings.clientStallMs ?? CLIENT_STALL_MS;
  // An answer ended with bytes the client has not taken (a large body, a stream's last events) is held to the same
  // bound as a refused write: nothing waits on those bytes, and the keep-alive timer runs only once they are taken.
  const onEnd = function (this: ServerResponse): void {
    cutUnreadAnswer(this, stallMs);
  };
  const handler = (req: IncomingMessage, res: ServerResponse): unknown => {
    res.once('prefinish', onEnd);
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const route = routes[`${req.method} ${path}`] ?? (req.method === 'POST' ? dialect.match?.(path) : undefined);
    const known = paths.has(path);
    const matched = !known && !!dialect.match?.(path);
    // Only the mock's own paths are counted one by one: a client chooses the path, and one key each was unbounded.
    const counted = known ? path : matched ? (dialect.countAs?.(path) ?? path) : UNROUTED;
    ctx.stats.request(counted, req.headers.traceparent);
    if (!route) return dialect.unrouted(res, known || matched);
    if (req.method !== 'POST') return route(req, res, undefined);
    return readBody(req).then(
      (buf) => {
        if (!buf) {
          res.setHeader('connection', 'close');
          return dialect.error(res, 413, 'request body too large');
        }
        let json: unknown;
        try {
          json = buf.length === 0 && !path.startsWith('/v1/') && path !== '/embed' ? undefined : JSON.parse(buf.toString('utf8'));
        } catch (e) {
          return dialect.error(res, 400, `JSON decode error: ${(e as Error).message}`);
        }
        return route(req, res, json);
      },
      () => void res.destroy(),
    );
  };
  const failed = (res: ServerResponse) => dialect.error(res, 500, 'the mock failed to answer');
  // Headers and body within a bound (a trickling upload is cut, as on the gateway).
  const timeouts = requestDeadlines(requestTimeoutMs);
  // Idle keep-alive connections live as long as the gateway's (65 s): a 5 s close races a client reusing the
  // socket under load (openai-node saw "other side closed" on a busy CI machine).
  const server: Server = createServer({ keepAliveTimeout: 65_000, ...timeouts }, guarded(handler, failed));
  server.on('clientError', answerClientError(dialect.refusal, ctx.identity));
  // Bounded as the gateway's listener is (the CLI gives the default: cli/mock-settings.ts): uncapped, a load or any
  // client that reached the port held a descriptor a connection until none was left — the mock's own reads and, under
  // `serve --mocks`, every backend connection and reload of the gateway in the same process then failed EMFILE. Past
  // the cap node:http closes a new connection as it accepts it; those open are served as before.
  if (settings.maxConnections !== undefined) server.maxConnections = settings.maxConnections;

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
