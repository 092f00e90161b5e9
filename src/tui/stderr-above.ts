/**
 * What the process writes to stderr while the TUI is shown (`serve --tui`: a refused reload's problems, a limits
 * store or a collector failing, an accept failing, Node's warnings), drawn above the frame. Written past Ink, the
 * lines moved the cursor under the frame it had drawn: its next redraw erased them — the operator never saw a
 * refused reload's problems — and left the top of the frame before it on the screen above the new one.
 */
import { useStderr } from 'ink';
import { type ReactNode, useLayoutEffect } from 'react';

/** While mounted, `stream`'s writes go through Ink, which clears its frame, writes them and draws the frame again. */
export function StderrAbove({ stream, children }: { stream: NodeJS.WriteStream; children?: ReactNode }): ReactNode {
  const { write } = useStderr();
  useLayoutEffect(() => {
    const hadOwn = Object.hasOwn(stream, 'write');
    const own = stream.write;
    // Ink writes the text itself through this same stream: that write goes out as it is.
    let drawing = false;
    stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (drawing) return (own as (...a: unknown[]) => boolean).apply(this, [chunk, ...rest]);
      drawing = true;
      try {
        write(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      } finally {
        drawing = false;
      }
      const done = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      if (done) process.nextTick(done);
      return true;
    } as typeof stream.write;
    return () => {
      if (hadOwn) stream.write = own;
      else delete (stream as { write?: unknown }).write;
    };
  }, [stream, write]);
  return children;
}
