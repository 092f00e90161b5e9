/**
 * Deliberately broken proxies, each planting one fault the bench must catch between itself and a clean
 * gateway: SSE coalescing, a 1 MiB cut with a clean end, a skewed canary split, a limiter that admits
 * 20 % over its limit, and 25 ms added before the first chunk. All on 127.0.0.1, port 0.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import { Rng } from '../../src/core/hash.js';

export interface Planted {
  url: string;
  close(): Promise<void>;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host']);

function clean(h: IncomingHttpHeaders, drop: readonly string[] = []): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP.has(k) && !drop.includes(k)) out[k] = v;
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Sends the client's request to `target` (origin), with `headers` overriding the client's. */
function forward(target: string, req: IncomingMessage, body: Buffer, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  const u = new URL(target);
  return new Promise((resolve, reject) => {
    const up = request(
      {
        host: u.hostname,
        port: u.port,
        path: req.url,
        method: req.method,
        headers: { ...clean(req.headers), ...headers, 'content-length': body.length },
      },
      resolve,
    );
    up.on('error', reject);
    up.end(body);
  });
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<void>): Promise<Planted> {
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => handler(req, res, body))
      .catch(() => res.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Passes everything through unchanged: the control for the planted ones. */
export function passThrough(upstream: string): Promise<Planted> {
  return serve(async (req, res, body) => {
    const up = await forward(upstream, req, body);
    res.writeHead(up.statusCode!, clean(up.headers));
    up.pipe(res);
  });
}

/** (a) Holds SSE bytes and writes whatever accumulated every `everyMs`: several `data:` events per write. */
export function coalescing(upstream: string, everyMs = 50): Promise<Planted> {
  return serve(async (req, res, body) => {
    const up = await forward(upstream, req, body);
    res.writeHead(up.statusCode!, clean(up.headers));
    if (!String(up.headers['content-type']).includes('text/event-stream')) return void up.pipe(res);
    let held: Buffer[] = [];
    const flush = () => {
      if (held.length) res.write(Buffer.concat(held));
      held = [];
    };
    const timer = setInterval(flush, everyMs);
    up.on('data', (c: Buffer) => held.push(c));
    up.on('end', () => {
      clearInterval(timer);
      flush();
      res.end();
    });
  });
}

/** (b) Ends every body cleanly after `limit` bytes (no content-length, so the cut looks like a normal end). */
export function cutting(upstream: string, limit = 1024 * 1024): Promise<Planted> {
  return serve(async (req, res, body) => {
    const up = await forward(upstream, req, body);
    res.writeHead(up.statusCode!, clean(up.headers));
    let sent = 0;
    up.on('data', (c: Buffer) => {
      if (sent >= limit) return;
      const part = c.subarray(0, limit - sent);
      sent += part.length;
      res.write(part);
      if (sent >= limit) {
        res.end();
        up.destroy();
      }
    });
    up.on('end', () => res.end());
  });
}

/**
 * (c) In front of a gateway that splits 95/5, sends 1 request in 19 straight to the canary: the client
 * sees 90/10 (0.05 + 0.95 × 0.05 = 0.1).
 */
export function skewedSplit(upstream: string, canary: string, canaryModel: string, seed = 7): Promise<Planted> {
  const rng = new Rng(seed);
  return serve(async (req, res, body) => {
    let target = upstream;
    let sent = body;
    if (rng.float() < 1 / 19) {
      target = canary;
      sent = Buffer.from(JSON.stringify({ ...(JSON.parse(body.toString()) as object), model: canaryModel }));
    }
    const up = await forward(target, req, sent);
    res.writeHead(up.statusCode!, clean(up.headers));
    up.pipe(res);
  });
}

/**
 * (d) A token limiter in front of a gateway (reached with `upstreamKey`, which has no limit there) that
 * admits `factor` × its advertised limit per fixed window: reservation of prompt/3 + max_tokens up front,
 * real usage settled after, 429 with retry-after-ms and OpenAI's x-ratelimit headers naming `limit`.
 */
export function overAdmitting(upstream: string, upstreamKey: string, limit: number, windowMs: number, factor = 1.2): Promise<Planted> {
  const start = Date.now();
  let window = -1;
  let used = 0;
  return serve(async (req, res, body) => {
    const now = Date.now();
    const w = Math.floor((now - start) / windowMs);
    if (w !== window) {
      window = w;
      used = 0;
    }
    const j = JSON.parse(body.toString()) as { max_tokens?: number };
    const reserve = Math.ceil(body.length / 3) + (j.max_tokens ?? 1024);
    const limitHeaders = {
      'x-ratelimit-limit-tokens': String(limit),
      'x-ratelimit-remaining-tokens': String(Math.max(0, limit - used)),
      'x-ratelimit-reset-tokens': `${Math.ceil((start + (w + 1) * windowMs - now) / 1000)}s`,
    };
    if (used + reserve > limit * factor) {
      const wait = start + (w + 1) * windowMs - now;
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after-ms': String(wait),
        'retry-after': String(Math.ceil(wait / 1000)),
        ...limitHeaders,
      });
      return void res.end(
        JSON.stringify({ error: { message: 'over the limit', type: 'tokens', param: null, code: 'rate_limit_exceeded' } }),
      );
    }
    used += reserve;
    const up = await forward(upstream, req, body, { authorization: `Bearer ${upstreamKey}` });
    const chunks: Buffer[] = [];
    for await (const c of up) chunks.push(c as Buffer);
    const answer = Buffer.concat(chunks);
    try {
      const total = (JSON.parse(answer.toString()) as { usage?: { total_tokens?: number } }).usage?.total_tokens;
      if (typeof total === 'number' && window === w) used += total - reserve;
    } catch {
      /* not JSON: the reservation stands */
    }
    res.writeHead(up.statusCode!, { ...clean(up.headers), ...limitHeaders });
    res.end(answer);
  });
}

/** (e) Adds `ms` before the first body chunk of every answer (what one peer's gateway does). */
export function delayingFirstChunk(upstream: string, ms = 25): Promise<Planted> {
  return serve(async (req, res, body) => {
    const up = await forward(upstream, req, body);
    res.writeHead(up.statusCode!, clean(up.headers));
    up.pause();
    setTimeout(() => up.pipe(res), ms);
  });
}
