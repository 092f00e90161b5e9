/**
 * A whole stack in this process — the profile's mocks, the gateway and the admin listener, all on real
 * sockets on free ports — started by the same composition root as `aigw serve` (src/cli/stack.ts).
 * `{{NAME}}` in the profile text is replaced by the URL of an extra upstream the test provides.
 */
import { type Stack, startStack } from '../../src/cli/stack.js';
import type { GatewayEvent } from '../../src/events/types.js';
import type { Gateway } from '../../src/gateway/server.js';
import type { RunningMock } from '../../src/mock/server.js';
import type { Admin } from '../../src/observe/admin.js';
import { parseProfile } from '../../src/profile/load.js';
import { formatProblem } from '../../src/profile/problems.js';
import { cleanupScope } from './cleanup.js';
import { eventually } from './eventually.js';

export { eventually };

export interface TestGateway {
  url: string;
  /** The admin listener's URL (empty when the profile turns the admin surface off). */
  adminUrl: string;
  admin: Admin;
  gateway: Gateway;
  stack: Stack;
  events: GatewayEvent[];
  mocks: Record<string, RunningMock>;
  eventsOf<T extends GatewayEvent['type']>(type: T): Extract<GatewayEvent, { type: T }>[];
  /**
   * The request event of the answer that carried this `x-request-id`, once published: a request's event comes when
   * it is settled, which may be after a later request's (a large answer counted off the event loop), so the last
   * event is not always the last request's.
   */
  requestEvent(requestId: unknown): Promise<Extract<GatewayEvent, { type: 'request' }>>;
  mockStats(name: string): Promise<MockStatsJson>;
  close(): Promise<void>;
}

export interface MockStatsJson {
  requests: Record<string, number>;
  completed: number;
  aborted: { count: number; recent: { atToken: number; ts: number; stream: boolean }[] };
  tokens: { prompt: number; completion: number };
  bytesSent: number;
}

/**
 * One backend `z` (its URL the upstream named `z`) holding `apiKey`, one model `zm` on it: the profile of the tests
 * that check a backend's answer never gives that key back to a client.
 */
export const keyedBackendProfile = (apiKey: string): string => `
version: 1
backends:
  z: { url: "{{z}}", apiKey: "${apiKey}" }
models:
  zm: { targets: [{ backend: z }] }
`;

/** One backend `b` (its URL the upstream named `b`), one model `m` on it: the smallest profile a scripted upstream needs. */
export const ONE_BACKEND_PROFILE = `
version: 1
backends:
  b: { url: "{{b}}" }
models:
  m: { targets: [{ backend: b }] }
`;

/** One mock vLLM `v`, one model `m` on it: the smallest profile of a gateway that answers. */
export const ONE_MOCK_PROFILE = `
version: 1
backends:
  v: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: v }] }
`;

/** One mock vLLM `vllm`, one model `m` on it, and `timeouts.request` as given: the deadline tests' profile. */
export const requestDeadlineProfile = (request: string): string => `
version: 1
timeouts: { request: ${request} }
backends:
  vllm: { url: http://127.0.0.1:0, mock: { kind: vllm } }
models:
  m: { targets: [{ backend: vllm }] }
`;

/** One scripted Anthropic backend `an` (its URL the upstream named `u`) serving model `claude`, no tenants. */
export const ONE_ANTHROPIC_PROFILE = `
version: 1
backends:
  an: { url: "{{u}}", kind: anthropic }
models:
  claude: { targets: [{ backend: an }] }
`;

/**
 * One scripted backend (its URL the upstream named `u`) of `kind` — `an` serving model `claude` when it is anthropic,
 * `oa` serving `gpt` otherwise — and one tenant whose key is `key` (with `limits`, if given): the profile of the tests
 * that script what a backend sends.
 */
export const scriptedBackendProfile = (key: string, o: { kind?: 'anthropic'; limits?: string } = {}): string => {
  const [backend, model] = o.kind === 'anthropic' ? ['an', 'claude'] : ['oa', 'gpt'];
  return `
version: 1
backends:
  ${backend}: { url: "{{u}}"${o.kind ? `, kind: ${o.kind}` : ''} }
models:
  ${model}: { targets: [{ backend: ${backend} }] }
tenants:
  t: { keys: ["${key}"]${o.limits ? `, limits: ${o.limits}` : ''} }
`;
};

export function profileFor(yaml: string, upstreams: Record<string, string> = {}) {
  const text = yaml.replace(/\{\{(\w[\w-]*)\}\}/g, (_m, name: string) => upstreams[name] ?? `{{${name}}}`);
  const r = parseProfile(text, 'test.yaml', {});
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  return r.profile;
}

export async function gatewayFor(yaml: string, upstreams: Record<string, string> = {}): Promise<TestGateway> {
  const stack = await startStack(profileFor(yaml, upstreams), {
    listen: '127.0.0.1:0',
    admin: '127.0.0.1:0',
    mocks: true,
    mocksOnFreePorts: true,
  });
  const events: GatewayEvent[] = [];
  stack.bus.subscribe((e) => events.push(e));
  const mocks = Object.fromEntries(stack.mocks.map((m) => [m.name, m]));
  let closing: Promise<void> | undefined;
  return {
    url: stack.url,
    adminUrl: stack.adminUrl ?? '',
    admin: stack.admin as Admin,
    gateway: stack.gateway,
    stack,
    events,
    mocks,
    eventsOf: (type) => events.filter((e) => e.type === type) as never,
    requestEvent: async (requestId) => {
      const find = () => events.find((e) => e.type === 'request' && e.requestId === requestId);
      await eventually(() => find() !== undefined);
      return find() as Extract<GatewayEvent, { type: 'request' }>;
    },
    mockStats: async (name) => (await (await fetch(`${mocks[name]!.url}/mock/stats`)).json()) as MockStatsJson,
    // Once: a test may close it itself, and the helper's cleanup closes it again.
    close: () => (closing ??= stack.close(100)),
  };
}

/** gatewayFor, closed after the test file. */
export async function useGateway(yaml: string, upstreams: Record<string, string> = {}): Promise<TestGateway> {
  const cleanupAfter = cleanupScope();
  const t = await gatewayFor(yaml, upstreams);
  cleanupAfter(() => t.close());
  return t;
}
