/** What the process writes to stderr during a test, kept to read, and still written (cut, when `clip` says so). */
import { vi } from 'vitest';

export function captureStderr(clip = Infinity): string[] {
  const written: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    written.push(text);
    return (orig as (...a: unknown[]) => boolean)(text.length > clip ? `${text.slice(0, clip)}…\n` : chunk, ...rest);
  }) as never);
  return written;
}
