/** `aigw top`: not built yet (see the open issues). */
import { CliError } from './run.js';

export async function run(): Promise<number> {
  throw new CliError('`aigw top` is not implemented yet in this version', 1);
}
