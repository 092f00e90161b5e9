/**
 * `n` letters without a space, from a seeded PRNG (no run of 64 repeats): to a BPE tokenizer the slowest text there
 * is, each count of one a whole budget's work for the tokenizer thread.
 */
export function lettersWithoutSpaces(n: number, seed: number): string {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = 97 + ((x >>> 0) % 26);
  }
  return out.toString('latin1');
}
