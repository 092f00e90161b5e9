/** "Did you mean": the closest known name within a small edit distance. */

/**
 * Edits between two names, each one: a letter added, dropped or changed, or two adjacent letters swapped — the
 * typo a hand makes most (`tmp` for `tpm`), which plain Levenshtein counts as two.
 */
export function editDistance(a: string, b: string): number {
  // Three rows: a swap looks two rows back.
  let twoBack: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, twoBack[j - 2]! + 1);
      row.push(d);
    }
    twoBack = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * Names longer than this get no suggestion: the distance costs the product of two names' lengths, once per
 * known name and per mention — an 80 KB name against its own aliases cost a reload a minute of CPU.
 */
const MAX_SUGGESTED = 128;

/** The known name nearest to `name`, when it is close enough to be a typo. */
export function closest(name: string, known: Iterable<string>): string | undefined {
  if (name.length > MAX_SUGGESTED) return undefined;
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  const within = Math.max(1, Math.floor(name.length / 3));
  for (const k of known) {
    // The distance is at least the difference in length: such a name can never be close enough.
    if (Math.abs(k.length - name.length) > within) continue;
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= within ? best : undefined;
}

/** A name from the file in a message: quoted, and cut after 100 characters. */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}…` : name);
}

/** How many known names a message lists: a profile of 3,000 models made each problem 30 KB. */
const LISTED = 20;

/** `a, b, c` — the first LISTED, then how many more; `(none)` for none. */
export function listed(names: readonly string[]): string {
  if (names.length === 0) return '(none)';
  const shown = names.slice(0, LISTED).map((n) => (n.length > 100 ? `${n.slice(0, 100)}…` : n));
  return names.length > LISTED ? `${shown.join(', ')} and ${names.length - LISTED} more` : shown.join(', ');
}

/** `unknown model "x" (did you mean "y"?); known models: a, b` */
export function unknownName(kind: string, name: string, known: readonly string[]): string {
  return `unknown ${kind} ${quoted(name)}${didYouMean(name, known)}; known ${kind}s: ${listed(known)}`;
}

/** ` (did you mean "x"?)`, or an empty string. */
export function didYouMean(name: string, known: Iterable<string>): string {
  const c = closest(name, known);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
}
