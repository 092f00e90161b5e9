// An HTTP/1.1 response read off a raw socket, bytes in, events out: the status and headers, the body de-chunked
// (or by content-length, or until close) as ranges of the buffers it was given — no copies, no strings per chunk.
// Thousands of streams are read this way by one process, where node:http's per-chunk machinery would cost more.

const MAX_HEAD = 64 * 1024;
const MAX_SIZE_DIGITS = 12;
const MAX_EXTENSION = 1024;
const MAX_TRAILER_LINE = 8 * 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const CR = 13;
const LF = 10;

function hexValue(c) {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * `on` receives head(status, headers), body(buf, start, end), end() and error(message), each at most once except
 * body. After end or error, further bytes are ignored.
 */
export class ResponseReader {
  constructor(on) {
    this.on = on;
    this.state = 'head';
    this.head = [];
    this.headSize = 0;
    this.remaining = 0; // data bytes left in the current chunk, or of content-length
    this.digits = 0; // of the chunk size being read
    this.skipped = 0; // bytes of a chunk extension or trailer line
  }

  /** Feeds buf[0, end) (the caller may reuse buf afterwards). */
  push(buf, end = buf.length) {
    let i = 0;
    if (this.state === 'head') {
      i = this.readHead(buf.subarray(0, end));
      if (i < 0) return;
    }
    while (i < end) {
      const s = this.state;
      if (s === 'chunk-data' || s === 'length') {
        const n = Math.min(this.remaining, end - i);
        this.on.body(buf, i, i + n);
        i += n;
        this.remaining -= n;
        if (this.remaining > 0) continue;
        if (s === 'length') this.finish();
        else this.state = 'data-cr';
        continue;
      }
      if (s === 'close') {
        this.on.body(buf, i, end);
        return;
      }
      if (s === 'done' || s === 'failed') return;
      this.framing(buf[i++]);
    }
  }

  /** One byte of chunked framing: size [; extension] CRLF, data, CRLF; after the 0 chunk, trailer lines. */
  framing(c) {
    switch (this.state) {
      case 'chunk-size': {
        const v = hexValue(c);
        if (v >= 0 && this.digits < MAX_SIZE_DIGITS) {
          this.remaining = this.remaining * 16 + v;
          this.digits++;
        } else if (this.digits > 0 && (c === CR || c === 0x3b || c === 0x20 || c === 0x09)) {
          this.state = c === CR ? 'size-lf' : 'extension';
          this.skipped = 0;
        } else if (c === LF) this.fail('bare LF in chunked framing');
        else this.fail(`bad chunk size (byte 0x${c.toString(16).padStart(2, '0')} after ${this.digits} digits)`);
        return;
      }
      case 'extension':
        if (c === CR) this.state = 'size-lf';
        else if (c === LF) this.fail('bare LF in chunked framing');
        else if (++this.skipped > MAX_EXTENSION) this.fail('chunk extension too long');
        return;
      case 'size-lf':
        if (c !== LF) return this.fail('CR without LF in chunked framing');
        this.digits = 0;
        this.skipped = 0;
        this.state = this.remaining === 0 ? 'trailer' : 'chunk-data';
        return;
      case 'data-cr':
        if (c === CR) this.state = 'data-lf';
        else this.fail('no CRLF after chunk data');
        return;
      case 'data-lf':
        if (c !== LF) return this.fail('no CRLF after chunk data');
        this.state = 'chunk-size';
        this.remaining = 0;
        return;
      // Trailer lines are skipped; an empty line ends the message.
      case 'trailer':
        if (c === CR) this.state = this.skipped === 0 ? 'last-lf' : 'trailer-lf';
        else if (c === LF) this.fail('bare LF in chunked framing');
        else if (++this.skipped > MAX_TRAILER_LINE) this.fail('trailer line too long');
        return;
      case 'trailer-lf':
        if (c !== LF) return this.fail('CR without LF in chunked framing');
        this.skipped = 0;
        this.state = 'trailer';
        return;
      case 'last-lf':
        if (c !== LF) return this.fail('CR without LF in chunked framing');
        this.finish();
        return;
    }
  }

  /** The socket ended: fine for a body delimited by close, a cut anywhere else. */
  close() {
    if (this.state === 'close') this.finish();
    else if (this.state !== 'done' && this.state !== 'failed') this.fail(`connection closed (${this.state})`);
  }

  readHead(buf) {
    // Kept across reads: a copy, since the caller may reuse its read buffer.
    this.head.push(Buffer.from(buf));
    this.headSize += buf.length;
    const all = this.head.length === 1 ? this.head[0] : Buffer.concat(this.head);
    const end = all.indexOf(CRLFCRLF);
    if (end < 0) {
      if (this.headSize > MAX_HEAD) this.fail(`response head over ${MAX_HEAD} bytes`);
      return -1;
    }
    const lines = all.subarray(0, end).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
    if (!status) {
      this.fail(`not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
      return -1;
    }
    const headers = {};
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    this.head = [];
    this.on.head(Number(status[1]), headers);
    if (this.state === 'failed') return -1;
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (te !== undefined) {
      if (te.toLowerCase() !== 'chunked') {
        this.fail(`unsupported transfer-encoding ${te}`);
        return -1;
      }
      this.state = 'chunk-size';
    } else if (cl !== undefined) {
      if (!/^\d{1,15}$/.test(cl)) {
        this.fail(`bad content-length ${cl}`);
        return -1;
      }
      this.remaining = Number(cl);
      this.state = 'length';
      if (this.remaining === 0) this.finish();
    } else this.state = 'close';
    // Only the bytes of this buffer past the head remain to be read.
    return end + 4 - (all.length - buf.length);
  }

  finish() {
    this.state = 'done';
    this.on.end();
  }

  fail(message) {
    this.state = 'failed';
    this.on.error(message);
  }
}
