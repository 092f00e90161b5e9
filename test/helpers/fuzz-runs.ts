/**
 * How long a fuzz property runs: `suite` cases under `npm test`, and under `npm run fuzz` (FUZZ_RUNS=200000) that
 * many times `share` — a property whose every case is a request over a socket takes a share of it. The timeout
 * allows `msPerCase` for each case on a slow machine, never less than `floorMs`.
 */
export function fuzzRuns(
  suite: number,
  { msPerCase = 2, share = 1, floorMs = 60_000 }: { msPerCase?: number; share?: number; floorMs?: number } = {},
  asked: string | undefined = process.env.FUZZ_RUNS,
): { runs: number; timeout: number } {
  let runs = suite;
  if (asked !== undefined && asked !== '') {
    const n = Number(asked);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a whole number of cases ≥ 1, not ${JSON.stringify(asked)}`);
    runs = Math.ceil(n * share);
  }
  return { runs, timeout: Math.max(floorMs, runs * msPerCase) };
}
