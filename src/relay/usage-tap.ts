/** Reading token usage out of bytes that pass by, without holding the body. */

export interface Usage {
  prompt: number;
  completion: number;
}

const PROMPT_RE = /"prompt_tokens"\s*:\s*(\d+)/;
const COMPLETION_RE = /"completion_tokens"\s*:\s*(\d+)/;

/** The usage object of a JSON text (the last `"usage"` in it), if any. */
export function usageIn(text: string): Usage | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at < 0) return undefined;
  const tail = text.slice(at);
  const p = PROMPT_RE.exec(tail);
  const c = COMPLETION_RE.exec(tail);
  if (!p && !c) return undefined;
  return { prompt: p ? Number(p[1]) : 0, completion: c ? Number(c[1]) : 0 };
}

/** Keeps the last few KiB of a body: a non-streamed answer's usage comes at its end. */
export class TailWindow {
  private parts: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit = 4096) {}
  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.size += chunk.length;
    while (this.parts.length > 1 && this.size - this.parts[0]!.length >= this.limit) this.size -= this.parts.shift()!.length;
  }
  text(): string {
    const b = Buffer.concat(this.parts);
    return b.subarray(Math.max(0, b.length - this.limit)).toString('utf8');
  }
}
