// The floor for a Node gateway: a bare node:http + undici.Pool proxy, no parsing, no policy.
// `--dispatch`: the same through undici's dispatch API with a handler writing each read to the response — no
// stream on either side but node:http's own, as aigw relays: the floor of aigw's architecture, without its policy.
// Usage: node bare-proxy.js UPSTREAM_URL [--port P] [--connections C] [--backlog B] [--dispatch]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '0' },
    connections: { type: 'string', default: '256' },
    backlog: { type: 'string', default: '511' },
    dispatch: { type: 'boolean', default: false },
  },
});
const pool = new Pool(positionals[0], { connections: Number(values.connections), pipelining: 1 });
const JSON_TYPE = ['content-type', 'application/json'];

/** The answer's head as the bare proxy sends it (status, content-type), then each read as it comes. */
function dispatched(req, res, body) {
  pool.dispatch(
    { path: req.url, method: req.method, headers: JSON_TYPE, body },
    {
      // A client gone mid-answer frees the upstream connection (a paused answer would otherwise hold it for good).
      onConnect(abort) {
        res.once('close', () => {
          if (!res.writableFinished) abort();
        });
      },
      onHeaders(status, raw, resume) {
        res.on('drain', resume);
        let type;
        for (let i = 0; i < raw.length; i += 2)
          if (raw[i].toString('latin1').toLowerCase() === 'content-type') type = raw[i + 1].toString('latin1');
        res.writeHead(status, { 'content-type': type });
        return true;
      },
      onData(chunk) {
        return res.write(chunk);
      },
      onComplete() {
        res.end();
      },
      // Before the head, a 502; after it, a broken connection: a cut answer never ends as if it were whole.
      onError() {
        if (res.headersSent) return void res.destroy();
        res.writeHead(502);
        res.end();
      },
    },
  );
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (values.dispatch) return dispatched(req, res, Buffer.concat(chunks));
    pool.request({ path: req.url, method: req.method, headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) }).then(
      (r) => {
        res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] });
        r.body.pipe(res);
      },
      () => {
        res.writeHead(502);
        res.end();
      },
    );
  });
});
server.listen({ port: Number(values.port), host: '127.0.0.1', backlog: Number(values.backlog) }, () =>
  console.log(`bare-proxy listening on http://127.0.0.1:${server.address().port}`),
);
