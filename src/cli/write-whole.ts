/**
 * Writing a command's output file whole or not at all: a new file beside it, renamed over it once complete. Written in
 * place, a write that failed part way (a full disk, a file-size limit) left the file cut — an earlier profile
 * destroyed and half of the new one in its stead, which a gateway watching the path would then try to load.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { CliError, exitCodes, reasonOf } from './run.js';

/**
 * Writes `text` to `file`. `mode` applies to the new file (through the umask): writeFileSync's mode applies only when
 * it creates the file, and real keys must never sit, even for a moment, in a file an earlier run left readable by
 * everyone. The new file is created exclusively and renamed over the path: a symlink planted there is replaced, never
 * written through.
 */
export function writeWhole(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${file}: ${reasonOf(e)}`, exitCodes.usage);
  }
}
