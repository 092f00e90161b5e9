// An OTLP/HTTP collector that keeps nothing, for bench:overhead's tracing rows: POST /v1/traces is read whole and
// answered 200 at once, so a gateway's tracing cost is its own (building, batching, encoding, sending spans).
// Usage: node otlp-sink.js --port P
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
let exports = 0;
let bytes = 0;
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.on('data', (c) => {
    bytes += c.length;
  });
  req.on('end', () => {
    exports++;
    res.writeHead(req.method === 'POST' && req.url === '/v1/traces' ? 200 : 404, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(Number(values.port), '127.0.0.1', () => console.log(`otlp-sink listening on http://127.0.0.1:${server.address().port}`));
// What reached the sink, for the note (printed when the bench stops it).
process.on('SIGTERM', () => {
  console.error(`otlp-sink: ${exports} exports, ${bytes} bytes`);
  process.exit(0);
});
