/**
 * A read kept past its moment, without the larger read it may be a view into. undici's body chunks are views into
 * the socket read that brought them: a 1-byte chunk after a 64 KiB chunk extension (`1;x=…\r\nZ\r\n`) held all
 * 64 KiB, and the tail window (relay/usage-tap.ts) made of such chunks held thousands of reads. For a read kept
 * whatever its size: copied only when the read behind it is much larger than the chunk; a usual chunk (most of its
 * read) is kept as it is. (The body's kept first MiB bounds what its reads hold in all: relay/body-relay.ts.)
 */
export function keptBytes(chunk: Buffer): Buffer {
  return chunk.buffer.byteLength > 2 * chunk.length + 1024 ? Buffer.from(chunk) : chunk;
}
