/**
 * Reading a small file a profile names (a certificate, a key, a JWKS): only a regular file, and only up to a
 * bound. A path is the operator's, but a reload reads whatever is there at the time: a named pipe would block
 * the event loop until someone writes to it (SIGTERM included), /dev/zero would grow a buffer until the heap
 * gives out. Opened non-blocking (a FIFO opens at once), checked with fstat, read to at most `maxBytes`.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

/** The largest certificate, key, CA bundle or JWKS file read: far above a real one (a CA bundle is ~200 KiB). */
export const MAX_PROFILE_FILE_BYTES = 4 * 1024 * 1024;

/** The largest profile or manifests file read: far above any real one (thousands of routes fit in a few MiB). */
export const MAX_PROFILE_TEXT_BYTES = 64 * 1024 * 1024;

/** The reason a file was not read, for a problem message: `not a regular file`, `over 1 MiB`, or an errno code. */
export type Unreadable = { readonly problem: string };

const sizeText = (n: number) => (n >= 1024 * 1024 ? `${n / (1024 * 1024)} MiB` : `${Math.round(n / 1024)} KiB`);

function checked(isFile: boolean, size: number, maxBytes: number): Unreadable | undefined {
  if (!isFile) return { problem: 'not a regular file' };
  if (size > maxBytes) return { problem: `over ${sizeText(maxBytes)}` };
  return undefined;
}

const failure = (e: unknown): Unreadable => ({ problem: (e as NodeJS.ErrnoException).code ?? 'error' });

/** What a read of at most buf.length bytes found: the bytes, or why not (the file grew since its fstat). */
function whole(buf: Buffer, n: number, maxBytes: number): Buffer | Unreadable {
  if (n < buf.length) return buf.subarray(0, n);
  return n > maxBytes ? { problem: `over ${sizeText(maxBytes)}` } : { problem: 'changed while it was read' };
}

/** A regular file's bytes, at most `maxBytes` (one that grows while it is read is refused). */
export function readSmallFileSync(path: string, maxBytes: number): Buffer | Unreadable {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return failure(e);
  }
  try {
    const st = fstatSync(fd);
    const refused = checked(st.isFile(), st.size, maxBytes);
    if (refused) return refused;
    // One byte more than fstat said: reading it means the file grew.
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    return whole(buf, n, maxBytes);
  } catch (e) {
    return failure(e);
  } finally {
    closeSync(fd);
  }
}

/** readSmallFileSync, off the event loop. */
export async function readSmallFile(path: string, maxBytes: number): Promise<Buffer | Unreadable> {
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return failure(e);
  }
  try {
    const st = await fh.stat();
    const refused = checked(st.isFile(), st.size, maxBytes);
    if (refused) return refused;
    const buf = Buffer.alloc(st.size + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = (await fh.read(buf, n, buf.length - n, null)).bytesRead;
    return whole(buf, n, maxBytes);
  } catch (e) {
    return failure(e);
  } finally {
    await fh.close();
  }
}
