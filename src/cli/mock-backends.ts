/** `aigw mock-backends`: runs mock vLLM/TEI servers until SIGINT/SIGTERM. */
import { startMock, type RunningMock } from '../mock/server.js';
import { loadProfileFile } from '../profile/load.js';
import { formatProblem } from '../profile/problems.js';
import { adHocMocks, mocksOfProfile, type PlannedMock } from './mock-settings.js';
import { CliError, exitCodes } from './run.js';
import { stopWithStdin } from '../core/stop-with-stdin.js';
import { tuneV8ForServing } from '../core/v8-tuning.js';

interface Options {
  config?: string;
  vllm?: string[];
  tei?: string[];
  host: string;
}

export async function run(opts: Options): Promise<number | void> {
  tuneV8ForServing();
  // A reader that went away (`aigw mock-backends … | head -1`) fails the next ready line's write with EPIPE, an 'error'
  // on the stream: unheard, it took every mock down. There is nobody left to tell; the mocks go on serving.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  // An empty address (`--host ''`, an unset variable) is Node's every interface: the mocks, meant for 127.0.0.1, were
  // served to the network. Said, as `serve --listen :PORT` is.
  if (opts.host.trim() === '') {
    throw new CliError('--host expects an address, such as 127.0.0.1 (or 0.0.0.0 for every interface); got ""', exitCodes.usage);
  }
  const planned: PlannedMock[] = [];
  if (opts.config) {
    const result = await loadProfileFile(opts.config);
    if (!result.ok) {
      for (const p of result.problems) process.stderr.write(`${formatProblem(p)}\n`);
      return exitCodes.usage;
    }
    planned.push(...mocksOfProfile(result.profile));
  }
  planned.push(...adHocMocks('vllm', opts.vllm, opts.host), ...adHocMocks('tei', opts.tei, opts.host));
  // One name, one mock: two of a name printed two ready lines a script cannot tell apart (the later one taken for
  // both), and each answered as that name (`x-mock-backend`, `system_fingerprint`), so `bench split` counted two
  // backends as one. A profile's backend and a flag's, or a flag given twice, are said before anything listens.
  const names = new Set<string>();
  for (const p of planned) {
    if (names.has(p.settings.name))
      throw new CliError(
        `mock ${JSON.stringify(p.settings.name)} is named twice (by the profile or --vllm/--tei): give each mock its own name`,
        exitCodes.usage,
      );
    names.add(p.settings.name);
  }
  if (planned.length === 0) {
    throw new CliError('nothing to serve: give -c PROFILE (with mock: backends) or --vllm NAME=PORT / --tei NAME=PORT', exitCodes.usage);
  }
  const running: RunningMock[] = [];
  try {
    for (const p of planned) {
      const mock = await startMock(p.settings, p.port, p.host);
      running.push(mock);
      process.stdout.write(`mock ${mock.name} (${mock.kind}) listening on ${mock.url}\n`);
    }
  } catch (e) {
    await Promise.all(running.map((m) => m.close()));
    throw new CliError(`cannot start mock: ${(e as Error).message}`);
  }
  let release = () => {};
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    release = stopWithStdin(resolve);
  });
  release();
  await Promise.all(running.map((m) => m.close()));
  return exitCodes.ok;
}
