// N concurrent streams held by this one process over raw sockets (no process or node:http machinery per stream),
// opened evenly over a ramp; each chunk's bench-upstream stamp gives how late it arrived here.
import { connect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MarkerScanner } from './chunk-markers.js';
import { ResponseReader } from './response-reader.js';
import { summary } from './stats.js';

// µs of the machine's monotonic clock (bench-upstream stamps with it), without a BigInt per reading:
// performance.now() runs on the same clock from a fixed origin.
const ORIGIN_US = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const nowUs = () => ORIGIN_US + performance.now() * 1000;
// Every socket reads into this one buffer: each read is handled to the end before the next one lands.
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/** The raw request: the same bytes for every target. */
export function rawRequest(url, body, headers = {}) {
  const u = new URL(url);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const head = `POST ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: application/json\r\n${extra}`;
  return Buffer.from(`${head}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/**
 * Opens `n` streams to `url` over `rampMs`, each expected to bring `chunks` stamped chunks `intervalMs` apart and
 * then `data: [DONE]`. Resolves when all ended (or `graceMs` after the last should have) with, in ms: chunk delay
 * (received − sent upstream), lateness (received − scheduled upstream), the upstream's own lateness, inter-chunk
 * gap minus the interval, time to first chunk; streams that failed, by reason; this process's event-loop delay.
 * `live.chunks` counts the chunks received so far, for a caller that reads the gateway while the streams run.
 */
export function holdStreams({ url, body, headers, n, rampMs, chunks, intervalMs, graceMs = 30_000, live = { chunks: 0 } }) {
  const { hostname, port } = new URL(url);
  const request = rawRequest(url, body, headers);
  const total = n * chunks;
  const delay = new Float64Array(total);
  const late = new Float64Array(total);
  const upLate = new Float64Array(total);
  const gaps = new Float64Array(total);
  const ttfc = new Float64Array(n);
  let m = 0;
  let g = 0;
  let t = 0;
  let ok = 0;
  let finished = 0;
  const failures = {};
  const open = new Set();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const started = nowUs();

  return new Promise((resolve) => {
    const deadline = setTimeout(
      () => {
        for (const end of [...open]) end('timeout');
      },
      rampMs + chunks * intervalMs + graceMs,
    );

    const settle = (reason) => {
      if (reason) failures[reason] = (failures[reason] ?? 0) + 1;
      else ok++;
      if (++finished < n) return;
      clearTimeout(deadline);
      loop.disable();
      const ms = (ns) => Math.max(0, ns / 1e6 - 10);
      resolve({
        n,
        ok,
        failed: n - ok,
        failures,
        chunks: m,
        expectedChunks: total,
        seconds: (nowUs() - started) / 1e6,
        delay: summary(delay, m),
        lateness: summary(late, m),
        upstreamLateness: summary(upLate, m),
        gap: summary(gaps, g),
        ttfc: summary(ttfc, t),
        clientLoop: { p99: ms(loop.percentile(99)), max: ms(loop.max) },
      });
    };

    const start = () => {
      const t0 = nowUs();
      let recv = 0;
      let prev = 0;
      let count = 0;
      let status = 0;
      let closed = false;
      const sock = connect({
        host: hostname,
        port: Number(port),
        noDelay: true,
        onread: {
          buffer: READ_BUFFER,
          callback: (nread, buf) => {
            recv = nowUs();
            reader.push(buf, nread);
          },
        },
      });
      const scanner = new MarkerScanner((sched, sent) => {
        if (count === 0) ttfc[t++] = (recv - t0) / 1000;
        else gaps[g++] = (recv - prev) / 1000 - intervalMs;
        if (m < total) {
          delay[m] = (recv - sent) / 1000;
          late[m] = (recv - sched) / 1000;
          upLate[m] = (sent - sched) / 1000;
          m++;
        }
        prev = recv;
        count++;
        live.chunks++;
      });
      const end = (error) => {
        if (closed) return;
        closed = true;
        open.delete(end);
        sock.destroy();
        if (error) return settle(status && status !== 200 ? `status ${status}` : error);
        if (count !== chunks) return settle(`ended after ${count < chunks ? 'fewer' : 'more'} chunks than sent`);
        settle(scanner.done ? undefined : 'ended without data: [DONE]');
      };
      const reader = new ResponseReader({
        head: (s) => {
          status = s;
          if (s !== 200) end(`status ${s}`);
        },
        body: (b, from, to) => scanner.scan(b, from, to),
        end: () => end(),
        error: (message) => end(count ? `cut mid-stream: ${message}` : message),
      });
      open.add(end);
      sock.on('connect', () => sock.write(request));
      sock.on('end', () => reader.close());
      sock.on('error', (e) => end(count ? `cut mid-stream: ${e.code ?? e.message}` : (e.code ?? e.message)));
      sock.on('close', () => end(count ? 'cut mid-stream: closed' : 'closed before the first chunk'));
    };
    for (let i = 0; i < n; i++) setTimeout(start, (i * rampMs) / n);
  });
}
