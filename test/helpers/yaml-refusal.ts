/**
 * The YAML budget's tests: a file costly to parse (deep, long, full of escapes) must be refused by `aigw validate`
 * before it is read — exit 2, saying why — in a heap the parser would run out of.
 */
import { writeFileSync } from 'node:fs';
import { expect } from 'vitest';
import { BASE } from '../unit/bridge/manifests.js';
import { runAigw } from './cli.js';

/** Manifests: the bridge's base set, then a ConfigMap whose `data` is the text given (`data: {…}` or `data:\n  …`). */
export const configMapAfterBase = (data: string): string =>
  `${BASE}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata${data}\n`;

export async function expectRefusedBeforeRead(file: string, text: string, said: RegExp): Promise<void> {
  writeFileSync(file, text);
  const r = await runAigw(['validate', '-c', file], { NODE_OPTIONS: '--max-old-space-size=512' });
  expect(r.stderr).not.toContain('heap out of memory');
  expect(r.code, r.stderr.slice(-400)).toBe(2);
  expect(r.stderr).toMatch(said);
}
