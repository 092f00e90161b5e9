/** The `anthropic-version` request header, checked as Anthropic checks it. */
import { type AigwError, aigwError } from '../core/errors.js';

/** Anthropic's versions are dates (`2023-06-01`). */
export const ANTHROPIC_VERSION_RE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A client's `anthropic-version`, when it is not one: Anthropic answers 400 to a malformed value. An absent
 * header is accepted (as LiteLLM accepts it) — the gateway sends its backend's own version upstream anyway.
 */
export function anthropicVersionProblem(value: string | string[] | undefined): AigwError | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && ANTHROPIC_VERSION_RE.test(value)) return undefined;
  const shown = JSON.stringify(String(value).slice(0, 40));
  return aigwError('invalid_request', `anthropic-version: ${shown} is not a valid version (expected YYYY-MM-DD)`, {
    param: 'anthropic-version',
  });
}
