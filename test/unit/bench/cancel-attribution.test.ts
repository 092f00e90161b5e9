/**
 * `cancel` judges whether a client's abort reached the backend from the mocks' abort records. It took the first record
 * stamped after the phase's request was sent, whoever's it was: an earlier phase's abort arriving late passed a phase
 * whose own request was never closed, and a gateway that sent each request to two backends and closed one at once (the
 * other generating on) passed every phase. Now a phase's records are those the mocks wrote after it began (by their
 * count), of its kind (streamed or not; mid-stream, after a token), and every backend request the phase made must be
 * among them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { cancel } from '../../../src/bench/cancel.js';
import { benchContext } from '../../helpers/bench-context.js';
import { useServer } from '../../helpers/upstream.js';

interface Rec {
  endpoint: string;
  atToken: number;
  stream: boolean;
  ts: number;
}

/** A mock's /mock/stats the test writes: chat requests and abort records. */
function fakeStats() {
  const state = { requests: 0, aborts: [] as Rec[] };
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        requests: { '/v1/chat/completions': state.requests },
        completed: 0,
        aborted: { count: state.aborts.length, recent: state.aborts },
      }),
    );
  };
  return { state, serve };
}

/** A gateway that holds every request (the client leaves first); `onRequest` is told each one's body. */
async function holdingGateway(onRequest: (body: { stream?: boolean; messages: { content: string }[] }) => void): Promise<string> {
  return useServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      onRequest(JSON.parse(Buffer.concat(chunks).toString()));
      if (JSON.parse(Buffer.concat(chunks).toString()).stream) res.writeHead(200, { 'content-type': 'text/event-stream' });
    });
    res.on('close', () => {});
  });
}

describe('cancel against a target whose aborts are not the client’s', () => {
  it("does not credit a phase with an earlier phase's late abort", async () => {
    const stats = fakeStats();
    const mock = await useServer(stats.serve);
    let n = 0;
    const url = await holdingGateway(() => {
      n++;
      stats.state.requests++;
      // The first phase's request (not streamed) is closed at the backend only as the second phase's arrives.
      if (n === 2) stats.state.aborts.push({ endpoint: 'chat', atToken: 0, stream: false, ts: Date.now() });
    });
    const r = await cancel(benchContext({ url, mocks: { a: mock } }));
    expect(r.figures['cancel.missed']).toBe(3);
    expect(r.figures['cancel.before_the_first_token.ms']).toBeNull();
  }, 30_000);

  it('does not pass a phase whose request went to two backends and only one was closed', async () => {
    const stats = fakeStats();
    const mock = await useServer(stats.serve);
    const url = await holdingGateway((body) => {
      // Sent on twice; one copy closed at once, with the shape of the phase, the other left generating.
      stats.state.requests += 2;
      const mid = body.messages[0]!.content.includes('tps=50');
      stats.state.aborts.push({ endpoint: 'chat', atToken: mid ? 5 : 0, stream: body.stream === true, ts: Date.now() + 1000 });
    });
    const r = await cancel(benchContext({ url, mocks: { a: mock } }));
    expect(r.figures['cancel.missed']).toBe(3);
    expect(r.lines.join('\n')).toContain('1 of the 2 requests it made');
  }, 30_000);

  it('passes a phase whose one backend request was closed after the client left', async () => {
    const stats = fakeStats();
    const mock = await useServer(stats.serve);
    const url = await holdingGateway((body) => {
      stats.state.requests++;
      const mid = body.messages[0]!.content.includes('tps=50');
      stats.state.aborts.push({ endpoint: 'chat', atToken: mid ? 5 : 0, stream: body.stream === true, ts: Date.now() + 700 });
    });
    const r = await cancel(benchContext({ url, mocks: { a: mock } }));
    expect(r.figures['cancel.missed']).toBe(0);
    expect(r.figures['cancel.worstMs']).toBeLessThan(1000);
  }, 30_000);
});
