// The floor for an upstream: answers a fixed small chat completion at once, so only proxy cost is measured.
import { createServer } from 'node:http';

const body = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'bench-up',
  system_fingerprint: 'trivial',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok ok ok ok' }, logprobs: null, finish_reason: 'length' }],
  usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
});
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`trivial listening on http://127.0.0.1:${server.address().port}`));
