/** aigw's own version (package.json), read once when first asked: traces name the service version with it. */
import { readFileSync } from 'node:fs';

let version: string | undefined;

export function aigwVersion(): string {
  if (version === undefined) {
    try {
      // src/core and dist/core are both two levels below the package root.
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : 'dev';
    } catch {
      version = 'dev';
    }
  }
  return version;
}
