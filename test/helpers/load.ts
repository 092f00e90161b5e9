/** Bounded concurrent request loops for tests (127.0.0.1 only, fixed counts). */
import { request } from 'undici';

export async function inParallel<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

/** POSTs a small chat completion; resolves with status and the serving backend. */
export async function chatOnce(base: string, model: string, headers: Record<string, string> = {}, extra: object = {}): Promise<{ status: number; backend: string | undefined; fingerprint?: string }> {
  const r = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, ...extra }),
  });
  const body = (await r.body.json()) as { system_fingerprint?: string };
  const backend = r.headers['x-aigw-backend'];
  return { status: r.statusCode, backend: typeof backend === 'string' ? backend : undefined, ...(body.system_fingerprint ? { fingerprint: body.system_fingerprint } : {}) };
}

export function shares(xs: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1 / xs.length;
  return out;
}

/** Chi-square statistic and its p-value for observed counts vs expected proportions (df = k-1). */
export function chiSquare(observed: number[], expected: number[]): { stat: number; p: number } {
  const total = observed.reduce((a, b) => a + b, 0);
  const sumE = expected.reduce((a, b) => a + b, 0);
  let stat = 0;
  observed.forEach((o, i) => {
    const e = (expected[i]! / sumE) * total;
    stat += (o - e) ** 2 / e;
  });
  return { stat, p: chiSquareSurvival(stat, observed.length - 1) };
}

/** P(X > x) for chi-square with k degrees of freedom, via the regularized upper incomplete gamma. */
function chiSquareSurvival(x: number, k: number): number {
  const a = k / 2;
  const z = x / 2;
  if (z <= 0) return 1;
  // Series for the lower incomplete gamma; fine for the small df used here.
  let sum = 1 / a;
  let term = 1 / a;
  for (let n = 1; n < 500; n++) {
    term *= z / (a + n);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  const lower = Math.exp(-z + a * Math.log(z) - logGamma(a)) * sum;
  return Math.max(0, 1 - lower);
}

function logGamma(x: number): number {
  const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const tmp = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let ser = 1.000000000190015;
  for (const ci of c) ser += ci / ++y;
  return -tmp + Math.log((2.5066282746310005 * ser) / x);
}
