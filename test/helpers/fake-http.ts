/**
 * node:http request/response pairs without a listening socket (hono's `app.request` idea): a handler runs
 * on them and the raw HTTP it writes is parsed back, so the gateway's routing and errors are tested
 * without a port.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';

export interface FakeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

class CaptureSocket extends Duplex {
  chunks: Buffer[] = [];
  remoteAddress = '127.0.0.1';
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
}

/** Runs `handler` on a fake request and resolves with the parsed response once it has ended. */
export function fakeRequest(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<FakeAnswer> {
  const socket = new CaptureSocket();
  const req = new IncomingMessage(socket as never);
  req.method = method;
  req.url = url;
  req.headers = { host: 'x', ...Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])) };
  req.rawHeaders = Object.entries(req.headers).flatMap(([k, v]) => [k, String(v)]);
  const res = new ServerResponse(req);
  res.assignSocket(socket as never);
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(socket.chunks).toString();
      const [head, ...rest] = text.split('\r\n\r\n');
      const lines = head!.split('\r\n');
      const out: Record<string, string> = {};
      for (const l of lines.slice(1)) out[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      let payload = rest.join('\r\n\r\n');
      if (out['transfer-encoding'] === 'chunked') payload = payload.replace(/^[0-9a-f]+\r\n|\r\n[0-9a-f]+\r\n|\r\n0\r\n\r\n$/g, '');
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers: out, body: payload });
      if (!res.destroyed) res.emit('close');
    };
    res.on('finish', finish);
    res.on('close', finish);
    handler(req, res);
    if (body) req.push(body);
    // What node:http's parser sets once a body is whole (without it, the request counts as aborted).
    req.complete = true;
    req.push(null);
  });
}
