/** Shared pieces of the bench stream-reading tests: a target that answers with fixed SSE, and one request through the load. */
import type { BenchApi } from '../../src/bench/anthropic-api.js';
import { runLoad } from '../../src/bench/driver.js';
import type { RequestRecord } from '../../src/bench/record.js';
import { prepared } from '../../src/bench/workload.js';
import { useServer } from './upstream.js';

/** A target answering every stream with `events`. */
export const streamTarget = (events: string) =>
  useServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(events));
  });

/**
 * One request through the load (BenchExchange), streamed unless `stream` is false, its text kept; `api` as `--api`
 * gives it, absent for the default.
 */
export async function loadReads(url: string, api?: BenchApi, stream = true): Promise<RequestRecord> {
  let given = false;
  const source = {
    next: () => {
      if (given) return undefined;
      given = true;
      return prepared({ model: 'm', messages: [{ role: 'user', content: 'x' }], max_tokens: 5 });
    },
  };
  let text: string | undefined;
  const r = await runLoad({
    url,
    ...(api ? { api } : {}),
    headers: {},
    source,
    stream,
    durationMs: 50,
    connections: 1,
    keepText: true,
    onRecord: (rec) => (text = rec.text),
  });
  return { ...r.records[0]!, ...(text !== undefined ? { text } : {}) };
}
