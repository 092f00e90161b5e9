/**
 * Lines written once per event-loop turn instead of once each. Node writes stdout to a file or a pipe
 * synchronously on Linux, so a log line per request was a write(2) per request on the hot path (strace under
 * 50 connections: 3 syscalls written per request, against the bare proxy's 2); batched, a turn that finishes
 * twenty requests makes one. Whatever is pending is written before the process exits, and when a batch
 * grows past `maxChars` it is written at once, so nothing waits long or grows without bound.
 *
 * A pipe or a socket takes what it can at once and the rest is written asynchronously (Node 20 here): when its
 * reader falls behind (a container runtime's log pipe, `| less` paused), what it has not read waits in the
 * stream, in memory, one line per request for as long as it lags — 20,000 lines were 20 MB held after a second. Past `maxWaiting` bytes waiting there, batches are
 * dropped and counted, and the next one written says how many lines went (`notice`).
 *
 * A reader that went away for good (the pipe's read end closed: `aigw serve | head`, a log collector restarted) makes
 * the next write fail with EPIPE, which Node reports as an 'error' on the stream: with nobody listening there, the
 * first request after it took the whole gateway down. The log then stops, its lines dropped: there is nobody to tell.
 */
export class LineBatch {
  private pending = '';
  private pendingLines = 0;
  private scheduled = false;
  /** Lines dropped since the last batch written. */
  private dropped = 0;
  /** The stream failed (its reader is gone): nothing more is written to it. */
  private broken = false;
  private readonly flushNow = () => this.flush();
  private readonly onError = () => {
    this.broken = true;
  };

  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly maxChars = 64 * 1024,
    /** Bytes the reader may leave waiting in `out` before batches are dropped. */
    private readonly maxWaiting = 16 * 1024 * 1024,
    /** The line that says `n` lines were dropped. */
    private readonly notice: (n: number) => string = (n) => `aigw: ${n} log lines dropped: the log's reader fell behind\n`,
  ) {
    process.on('exit', this.flushNow);
    out.on('error', this.onError);
  }

  write(line: string): void {
    this.pending += line;
    this.pendingLines++;
    if (this.pending.length >= this.maxChars) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending === '') return;
    const text = this.pending;
    const lines = this.pendingLines;
    this.pending = '';
    this.pendingLines = 0;
    if (this.broken) return;
    if (((this.out as { writableLength?: number }).writableLength ?? 0) > this.maxWaiting) {
      this.dropped += lines;
      return;
    }
    if (this.dropped > 0) {
      this.out.write(this.notice(this.dropped));
      this.dropped = 0;
    }
    this.out.write(text);
  }

  /**
   * Writes what is pending and stops listening for the process's exit. Its stream's errors are still listened for: a
   * write handed to the stream may yet fail, and nothing else listens.
   */
  close(): void {
    this.flush();
    process.off('exit', this.flushNow);
  }
}
