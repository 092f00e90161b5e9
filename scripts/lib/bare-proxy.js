// The floor for a Node gateway: a bare node:http + undici.Pool proxy, no parsing, no policy.
// Usage: node bare-proxy.js UPSTREAM_URL [--port P] [--connections C] [--backlog B]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    port: { type: 'string', default: '0' },
    connections: { type: 'string', default: '256' },
    backlog: { type: 'string', default: '511' },
  },
});
const pool = new Pool(positionals[0], { connections: Number(values.connections), pipelining: 1 });
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
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
