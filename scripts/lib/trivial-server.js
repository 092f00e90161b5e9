// The floor: a node:http server answering a fixed small JSON body. Baseline for the mock's own cost.
import { createServer } from 'node:http';

const body = JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }] });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`trivial listening on http://127.0.0.1:${server.address().port}`));
