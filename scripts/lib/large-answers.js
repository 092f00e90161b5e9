// bench:overhead --large: concurrent clients each fetching large non-streamed answers one after another through a
// gateway, and how far its RSS rises meanwhile — whether bodies flow through or pile up in memory.
import { Agent, request } from 'node:http';

/** Resolves with the bytes received and whether the body ended cleanly. */
function fetchOnce(url, body, headers, agent) {
  return new Promise((resolve) => {
    let bytes = 0;
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.on('data', (d) => (bytes += d.length));
      res.on('end', () => resolve({ bytes, ok: res.statusCode === 200 }));
      res.on('error', () => resolve({ bytes, ok: false }));
    });
    req.on('error', () => resolve({ bytes, ok: false }));
    req.end(body);
  });
}

/**
 * `clients` × `sequential` answers of `tokens` tokens (3 bytes each) through `target`; RSS of its process tree is
 * sampled every 20 ms. `expectBytes` (from the direct run) tells a whole answer from a cut one.
 */
export async function largeAnswers({ target, headers, clients = 10, sequential = 2, tokens = 7_000_000, expectBytes }) {
  const body = JSON.stringify({ model: 'bench', messages: [{ role: 'user', content: 'A long answer.' }], max_tokens: tokens });
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const proc = target.proc;
  const before = proc?.rssBytes();
  let peak = before;
  const sampler = proc ? setInterval(() => (peak = Math.max(peak, proc.rssBytes())), 20) : undefined;
  const results = await Promise.all(
    Array.from({ length: clients }, async () => {
      const mine = [];
      for (let i = 0; i < sequential; i++) mine.push(await fetchOnce(`${target.url}/v1/chat/completions`, body, headers, agent));
      return mine;
    }),
  );
  clearInterval(sampler);
  agent.destroy();
  const all = results.flat();
  const size = expectBytes ?? all[0]?.bytes;
  return {
    answers: all.length,
    answerMiB: (size ?? 0) / 2 ** 20,
    incomplete: all.filter((r) => !r.ok || r.bytes !== size).length,
    rssGrowthMiB: proc ? (peak - before) / 2 ** 20 : undefined,
    bytes: size,
  };
}
