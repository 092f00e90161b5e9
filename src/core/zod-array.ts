/**
 * An array schema that stops at the first element it refuses. zod's own `z.array` checks every element and makes an
 * issue for each one refused, and a union tries each branch in full: a client's few MiB of wrong elements (or a
 * backend's) cost seconds of the event loop for an error that names only the first. Elements are parsed in order
 * (their transforms applied, as z.array does); the first refusal is the array's, with its index in the path.
 */
import { z } from 'zod';

export function arrayOf<T extends z.ZodType>(item: T, min = 0): z.ZodType<z.output<T>[], z.input<T>[]> {
  const array = min > 0 ? z.array(z.unknown()).min(min) : z.array(z.unknown());
  return array.transform((values, ctx) => {
    const out: z.output<T>[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const r = item.safeParse(values[i]);
      if (r.success) {
        out[i] = r.data;
        continue;
      }
      for (const issue of r.error.issues) ctx.issues.push({ ...issue, path: [i, ...issue.path] } as z.core.$ZodRawIssue);
      return z.NEVER;
    }
    return out;
  }) as unknown as z.ZodType<z.output<T>[], z.input<T>[]>;
}
