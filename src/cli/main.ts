/**
 * The composition root: parses the command line and hands over to one command module, imported only
 * when that command runs, so `aigw --help` stays fast.
 */
import { Command, Option } from 'commander';
import { aigwVersion } from '../core/version.js';
import { HeldSignal } from './held-signal.js';
import { exitCodes, runCommand } from './run.js';

// React (the TUI, the bench's live view) runs its development build unless told otherwise: slower, and it
// prints its warnings into the terminal it draws. A user's own NODE_ENV wins.
process.env.NODE_ENV ??= 'production';

const program = new Command('aigw')
  .description('An OpenAI-compatible AI gateway you can build, test and prove on a laptop.')
  .version(aigwVersion(), '-V, --version', "print aigw's version")
  .showHelpAfterError()
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : exitCodes.usage))
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** `--scenario long,split` and `--scenario long --scenario split` say the same. */
const collectList = (value: string, previous: string[] = []) => [...previous, ...value.split(',').filter(Boolean)];

const MOCK_ALL = 'replace every backend by a mock of its kind on 127.0.0.1 (no credentials needed)';

program
  .command('validate')
  .description('check a profile (or Envoy AI Gateway manifests) and print every problem with file:line:col and key path')
  .requiredOption('-c, --config <profile>', 'the profile YAML, or Kubernetes manifests (detected by apiVersion)')
  .option('--mock-all', MOCK_ALL)
  .action((opts) => runCommand(() => import('./validate.js'), opts));

const exportCmd = program.command('export').description("write a profile as another gateway's configuration");
exportCmd
  .command('envoy')
  .description('Envoy AI Gateway / Envoy Gateway manifests for kubectl apply, with a warning for each feature that does not carry over')
  .requiredOption('-c, --config <profile>', 'the profile YAML (or manifests, to normalise them)')
  .option('-o, --output <dir|->', 'a directory (one file per kind) or - for stdout', '-')
  .option('--namespace <ns>', 'the namespace of every object', 'default')
  .option('--gateway <name>', 'the Gateway, GatewayClass and AIGatewayRoute name', 'aigw')
  .option('--include-secrets', 'write the real keys into the Secrets instead of ${VAR} placeholders')
  .action((opts) => runCommand(() => import('./export.js'), opts));

const importCmd = program.command('import').description("read another gateway's configuration as a profile");
importCmd
  .command('envoy')
  .description('Envoy AI Gateway / Envoy Gateway / Gateway API manifests → an aigw profile')
  .argument('<files...>', 'manifest files (multi-document YAML), or directories of them')
  .option('-o, --output <profile>', 'write the profile here instead of stdout')
  .option('--mock-all', MOCK_ALL)
  .action((files: string[], opts) => runCommand(() => import('./import.js'), { ...opts, files }));

program
  .command('mock-backends')
  .description(
    "run mock backends (vLLM, TEI, Anthropic, Azure OpenAI): the profile's mock: backends, plus ad-hoc vLLM / TEI ones from flags",
  )
  .option('-c, --config <profile>', 'serve every backend of this profile that has a mock: block')
  .option('--vllm <name=port>', 'an ad-hoc vLLM mock (repeatable; port 0 picks a free port)', collect)
  .option('--tei <name=port>', 'an ad-hoc TEI mock (repeatable)', collect)
  .option('--host <host>', 'listen address for ad-hoc mocks', '127.0.0.1')
  .action((opts) => runCommand(() => import('./mock-backends.js'), opts));

program
  .command('serve')
  .description('run the gateway from a profile')
  .requiredOption('-c, --config <profile>', 'the profile YAML, or Kubernetes manifests (detected by apiVersion)')
  .option('--listen <host:port>', "override the profile's listen address")
  .option('--admin <host:port>', 'override the admin listen address')
  .option('--mocks', "also start the profile's mock backends in this process")
  .option('--mock-all', MOCK_ALL)
  .option('--tui', 'show the live terminal UI instead of log lines')
  .addOption(new Option('--log <format>', 'request log format').choices(['json', 'pretty', 'off']).default('pretty'))
  // SIGHUP (reload) is held from here: the gateway's code is imported and its profile read before it can reload.
  .action((opts) => runCommand(() => import('./serve.js'), { ...opts, hup: new HeldSignal('SIGHUP') }));

program
  .command('bench')
  .description('load-test a gateway (aigw or any OpenAI-compatible one)')
  .option('--model <name>', 'the public model name to request')
  .option('--target <url>', 'base URL of the gateway under test (default: $AIGW_TARGET, $OPENAI_BASE_URL, the demo)')
  .option(
    '-c, --config <profile>',
    "start this profile's mocks and gateway when no --target is given; with --target, read for its backends, weights and mocks (or Envoy AI Gateway manifests)",
  )
  .option('--mock-all', MOCK_ALL)
  .option('--scenario <s>', 'scenario to run (repeatable, or comma-separated)', collectList)
  .option('--duration <d>', 'per scenario (per step with --ramp)', '10s')
  .option('--connections <n>', 'closed loop: requests in flight', '50')
  .option('--rate <r>', 'open loop: requests per second (Poisson arrivals) instead of the closed loop')
  .option('--burstiness <k>', "gamma shape of the arrivals (vLLM's): 1 Poisson, <1 burstier, >1 steadier")
  .option('--workload <file>', 'JSONL requests: {"prompt"|"messages", "max_tokens", "conversation_id"}')
  .option('--input-len <dist>', 'synthetic prompts: N, uniform:MIN-MAX or normal:MEAN,STD tokens')
  .option('--output-len <dist>', 'synthetic max_tokens: N, uniform:MIN-MAX or normal:MEAN,STD')
  .option('--ramp [max-rate]', 'sweep doubling rates (up to max-rate req/s) until goodput stops rising: the saturation point')
  .option('--slo <targets>', 'goodput counts requests meeting e.g. ttft:200ms,tpot:50ms,e2el:2s')
  .option('--long-sizes <sizes>', 'answer sizes for the long scenario, e.g. 256Ki,1Mi,4Mi')
  .option('--api-key <k>', 'API key sent as Authorization: Bearer (default: $OPENAI_API_KEY; for a gateway the bench starts, its own key)')
  .option('--api <api>', 'the API to speak: openai (chat completions) or anthropic (POST /v1/messages, the same scenarios)')
  .option('--no-pace', "send at full speed even when the target's x-ratelimit headers say it will refuse")
  .option('--assert <expr>', 'e.g. p99<800ms, truncations==0 (repeatable)', collect)
  .option('--json <file>', 'write every figure as JSON')
  .option('--html <file>', 'write the results as one self-contained HTML page')
  .option('--expect <weights>', "expected split, e.g. vllm-a=95,vllm-b=5 (default: the profile's weights)")
  .option('--routing <k=v,...>', 'fleets of the prefix, latency and cost scenarios, e.g. conversations=200,turns=6,shared=0.8')
  .option('--compare <file>', 'a baseline report to compare with; given twice, compare two reports without running', collect)
  .action((opts) => runCommand(() => import('./bench.js'), opts));

program
  .command('top')
  .description("the live terminal UI, attached to a running gateway's admin listener")
  .option('--admin <url>', 'the admin listener', 'http://127.0.0.1:9901')
  .option('--key <key>', 'the admin key, when the gateway sets admin.key (or AIGW_ADMIN_KEY)')
  .action((opts) => runCommand(() => import('./top.js'), opts));

await program.parseAsync(process.argv);
