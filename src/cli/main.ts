/**
 * The composition root: parses the command line and hands over to one command module, imported only
 * when that command runs, so `aigw --help` stays fast.
 */
import { Command, Option } from 'commander';
import { exitCodes, runCommand } from './run.js';

const program = new Command('aigw')
  .description('An OpenAI-compatible AI gateway you can build, test and prove on a laptop.')
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : exitCodes.usage))
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const collect = (value: string, previous: string[] = []) => [...previous, value];

program
  .command('validate')
  .description('check a profile and print every problem with file:line:col and key path')
  .requiredOption('-c, --config <profile>', 'the profile YAML')
  .action((opts) => runCommand(() => import('./validate.js'), opts));

program
  .command('mock-backends')
  .description("run mock vLLM / TEI servers: the profile's mock: backends, plus ad-hoc ones from flags")
  .option('-c, --config <profile>', 'serve every backend of this profile that has a mock: block')
  .option('--vllm <name=port>', 'an ad-hoc vLLM mock (repeatable; port 0 picks a free port)', collect)
  .option('--tei <name=port>', 'an ad-hoc TEI mock (repeatable)', collect)
  .option('--host <host>', 'listen address for ad-hoc mocks', '127.0.0.1')
  .action((opts) => runCommand(() => import('./mock-backends.js'), opts));

program
  .command('serve')
  .description('run the gateway from a profile')
  .requiredOption('-c, --config <profile>', 'the profile YAML')
  .option('--listen <host:port>', "override the profile's listen address")
  .option('--admin <host:port>', 'override the admin listen address')
  .option('--mocks', "also start the profile's mock backends in this process")
  .option('--tui', 'show the live terminal UI instead of log lines')
  .addOption(new Option('--log <format>', 'request log format').choices(['json', 'pretty', 'off']).default('pretty'))
  .action((opts) => runCommand(() => import('./serve.js'), opts));

program
  .command('bench')
  .description('load-test a gateway (aigw or any OpenAI-compatible one)')
  .option('--model <name>', 'the public model name to request')
  .option('--target <url>', 'base URL of the gateway under test')
  .option('-c, --config <profile>', "start this profile's mocks and gateway when no --target is given")
  .option('--scenario <s>', 'scenario to run (repeatable)', collect)
  .option('--duration <d>', 'per scenario', '10s')
  .option('--connections <n>', 'concurrent connections', '50')
  .option('--api-key <k>', 'API key sent as Authorization: Bearer')
  .option('--assert <expr>', 'e.g. p99<800ms, truncations==0 (repeatable)', collect)
  .option('--json <file>', 'write every figure as JSON')
  .option('--expect <weights>', "expected split, e.g. vllm-a=95,vllm-b=5 (default: the profile's weights)")
  .option('--compare <file>', 'compare two --json reports (give it twice) instead of running', collect)
  .action((opts) => runCommand(() => import('./bench.js'), opts));

program
  .command('top')
  .description("the live terminal UI, attached to a running gateway's admin listener")
  .option('--admin <url>', 'the admin listener', 'http://127.0.0.1:9901')
  .option('--key <key>', 'the admin key, when the gateway sets admin.key (or AIGW_ADMIN_KEY)')
  .action((opts) => runCommand(() => import('./top.js'), opts));

await program.parseAsync(process.argv);
