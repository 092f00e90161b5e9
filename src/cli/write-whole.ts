/**
 * Writing a command's output file whole or not at all: a new file beside it, renamed over it once complete. Written in
 * place, a write that failed part way (a full disk, a file-size limit) left the file cut — an earlier profile
 * destroyed and half of the new one in its stead, which a gateway watching the path would then try to load.
 */
import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { CliError, exitCodes, reasonOf } from './run.js';

/**
 * Writes `text` to `file`. `mode` applies to the new file (through the umask): writeFileSync's mode applies only when
 * it creates the file, and real keys must never sit, even for a moment, in a file an earlier run left readable by
 * everyone. The new file is created exclusively and renamed over the path: a symlink planted there is replaced, never
 * written through.
 */
export function writeWhole(file: string, text: string, mode: number): void {
  // A device, a pipe or a socket (`-o /dev/stdout`, a process substitution) is written to as it is: it holds no earlier
  // file to destroy, and renamed over, the link to it was replaced by a file (as root, /dev/stdout itself).
  if (isStream(file)) {
    try {
      return writeFileSync(file, text);
    } catch (e) {
      throw new CliError(`cannot write ${file}: ${reasonOf(e)}`, exitCodes.usage);
    }
  }
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new CliError(`cannot write ${file}: ${reasonOf(e)}`, exitCodes.usage);
  }
}

/** Whether `file` (its links followed) is there and is not a regular file or a directory. */
function isStream(file: string): boolean {
  const st = statSync(file, { throwIfNoEntry: false });
  return st !== undefined && !st.isFile() && !st.isDirectory();
}
