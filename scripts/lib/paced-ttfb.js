// Time to the first streamed byte when nothing is saturated: paced streams one after another on one keep-alive
// connection, so the figure is the relay's own latency for a stream's first chunk.
import { Agent, request } from 'node:http';

/** Streams sequentially for `seconds`; resolves with each stream's time to its first body byte (ms) and failures. */
export async function pacedTtfb({ url, body, headers = {}, seconds }) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const ttfb = [];
  let failed = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const r = await new Promise((resolve) => {
      const t0 = performance.now();
      let first;
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
        res.once('data', () => (first = performance.now() - t0));
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode === 200 ? first : undefined));
        res.on('error', () => resolve(undefined));
      });
      req.on('error', () => resolve(undefined));
      req.end(body);
    });
    if (r === undefined) failed++;
    else ttfb.push(r);
    if (failed > 10 && ttfb.length === 0) break;
  }
  agent.destroy();
  return { ttfb, failed };
}
