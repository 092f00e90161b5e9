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
export async function chatOnce(
  base: string,
  model: string,
  headers: Record<string, string> = {},
  extra: object = {},
): Promise<{ status: number; backend: string | undefined; fingerprint?: string }> {
  const r = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 1, ...extra }),
  });
  const body = (await r.body.json()) as { system_fingerprint?: string };
  const backend = r.headers['x-aigw-backend'];
  return {
    status: r.statusCode,
    backend: typeof backend === 'string' ? backend : undefined,
    ...(body.system_fingerprint ? { fingerprint: body.system_fingerprint } : {}),
  };
}

export function shares(xs: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[String(x)] = (out[String(x)] ?? 0) + 1 / xs.length;
  return out;
}

export { chiSquare } from '../../src/bench/stats-math.js';
