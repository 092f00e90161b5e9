/** The admin listener: loopback by default, optional bearer key. Metrics, stats and events mount here. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';

export type AdminRoute = (req: IncomingMessage, res: ServerResponse) => void;

function sha(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export function createAdminServer(routes: Record<string, AdminRoute>, key: string | undefined): Server {
  const keyHash = key ? sha(key) : undefined;
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (keyHash && path !== '/healthz') {
      const auth = req.headers.authorization ?? '';
      const given = auth.startsWith('Bearer ') ? auth.slice(7) : '';
      if (!timingSafeEqual(sha(given), keyHash)) {
        res.setHeader('www-authenticate', 'Bearer');
        return send(
          401,
          JSON.stringify({ error: { message: 'admin key required', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }),
        );
      }
    }
    const route = routes[path];
    if (!route)
      return send(
        404,
        JSON.stringify({ error: { message: `no admin route ${path}`, type: 'invalid_request_error', param: null, code: 'not_found' } }),
      );
    route(req, res);
  });
}
