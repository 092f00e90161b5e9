/**
 * The first problem zod found, made readable: a union that failed (`string | array of blocks`) is opened
 * to the branch that got furthest, so the message names the field at fault (`messages.0.content.1.source.data`)
 * instead of "Invalid input" on the whole union.
 */
import type { z } from 'zod';

export interface PlainIssue {
  path: PropertyKey[];
  message: string;
  code: string;
}

type Issue = z.core.$ZodIssue;

export function firstIssue(error: z.ZodError): PlainIssue | undefined {
  const issue = error.issues[0];
  return issue ? openIssue(issue) : undefined;
}

/** One issue, with a failed union opened to the branch that got furthest. */
export function openIssue(issue: Issue, prefix: PropertyKey[] = []): PlainIssue {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    // The branch whose first issue lies deepest is the one the input meant to be.
    let best: Issue | undefined;
    for (const branch of issue.errors) {
      const first = branch[0];
      if (first && (!best || first.path.length > best.path.length)) best = first;
    }
    if (best && best.path.length > 0) return openIssue(best, path);
  }
  return { path, message: issue.message, code: issue.code };
}
