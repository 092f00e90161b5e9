/** A profile problem: where (file:line:col and key path), how bad, and what was expected. */
import { escapeControls } from '../core/printable.js';

export type KeyPath = readonly (string | number)[];

export interface ProfileProblem {
  severity: 'error' | 'warning';
  file: string;
  line: number;
  col: number;
  /** `models.llama-3-70b.targets[1].backend`, or empty for the document itself. */
  path: string;
  message: string;
}

export function formatPath(path: KeyPath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/**
 * `FILE:LINE:COL: error: PATH: MESSAGE` — one line per problem, as compilers print them. Names and values quoted
 * from a file may hold control characters (an escape sequence that clears the terminal, a newline that forges a
 * line of its own): they are shown escaped.
 */
export function formatProblem(p: ProfileProblem): string {
  return escapeControls(`${p.file}:${p.line}:${p.col}: ${p.severity}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
}
