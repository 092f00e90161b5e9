// The floor for a Node gateway: a bare node:http + undici.Pool proxy, no parsing, no policy.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const upstream = process.argv[2];
const pool = new Pool(upstream, { connections: 256, pipelining: 1 });
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
server.listen(0, '127.0.0.1', () => console.log(`bare-proxy listening on http://127.0.0.1:${server.address().port}`));
