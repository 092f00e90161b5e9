// An HTTP/1.1 response read off a raw socket, bytes in, events out: the status and headers, the body de-chunked
// (or by content-length, or until close) as slices of the buffers it was given, no copies. Thousands of streams
// are read this way by one process, where node:http's per-chunk stream machinery would be the bottleneck.

const MAX_HEAD = 64 * 1024;
const MAX_SIZE_LINE = 1024;
const CRLFCRLF = Buffer.from('\r\n\r\n');

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
    this.line = ''; // a chunk-size or trailer line being read
  }

  /** Feeds bytes as they arrive. */
  push(buf) {
    let i = 0;
    if (this.state === 'head') {
      i = this.readHead(buf);
      if (i < 0) return;
    }
    while (i < buf.length && this.state !== 'done' && this.state !== 'failed') {
      switch (this.state) {
        case 'length':
        case 'chunk-data': {
          const n = Math.min(this.remaining, buf.length - i);
          this.on.body(buf, i, i + n);
          i += n;
          this.remaining -= n;
          if (this.remaining > 0) break;
          if (this.state === 'length') this.finish();
          else this.state = 'chunk-crlf';
          break;
        }
        case 'close':
          this.on.body(buf, i, buf.length);
          i = buf.length;
          break;
        case 'chunk-crlf':
          i = this.readLine(buf, i, (l) => (l === '' ? (this.state = 'chunk-size') : this.fail('no CRLF after chunk data')));
          break;
        case 'chunk-size':
          i = this.readLine(buf, i, (l) => this.sizeLine(l));
          break;
        case 'trailer':
          i = this.readLine(buf, i, (l) => l === '' && this.finish());
          break;
      }
    }
  }

  /** The socket ended: fine for a body delimited by close, a cut anywhere else. */
  close() {
    if (this.state === 'close') this.finish();
    else if (this.state !== 'done' && this.state !== 'failed') this.fail(`connection closed (${this.state})`);
  }

  readHead(buf) {
    this.head.push(buf);
    this.headSize += buf.length;
    const all = this.head.length === 1 ? buf : Buffer.concat(this.head);
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

  /** Reads up to CRLF (a line may span buffers); calls `done(line)` once whole; returns the next index. */
  readLine(buf, i, done) {
    const nl = buf.indexOf(10, i);
    const upto = nl < 0 ? buf.length : nl + 1;
    this.line += buf.toString('latin1', i, upto);
    if (this.line.length > MAX_SIZE_LINE) {
      this.fail('chunk-size or trailer line too long');
      return buf.length;
    }
    if (nl < 0) return buf.length;
    const line = this.line;
    this.line = '';
    if (!line.endsWith('\r\n')) this.fail('bare LF in chunked framing');
    else done(line.slice(0, -2));
    return upto;
  }

  sizeLine(line) {
    const hex = line.split(';')[0].trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return this.fail(`bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
    this.remaining = Number.parseInt(hex, 16);
    this.state = this.remaining === 0 ? 'trailer' : 'chunk-data';
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
