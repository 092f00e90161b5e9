/**
 * An in-process gateway on a real socket (port 0) with the profile's mocks, also on real sockets.
 * `{{NAME}}` in the profile text is replaced by the URL of an extra upstream the test provides.
 */
import { afterAll } from 'vitest';
import { mocksOfProfile, withBackendUrls } from '../../src/cli/mock-settings.js';
import { EventBus } from '../../src/events/bus.js';
import type { GatewayEvent } from '../../src/events/types.js';
import { startGateway, type Gateway } from '../../src/gateway/server.js';
import { listenOn } from '../../src/core/listen.js';
import { createAdmin } from '../../src/observe/admin.js';
import { startMock, type RunningMock } from '../../src/mock/server.js';
import { parseProfile } from '../../src/profile/load.js';
import { formatProblem } from '../../src/profile/problems.js';

export interface TestGateway {
  url: string;
  /** The admin listener's URL, and its parts. */
  adminUrl: string;
  admin: import('../../src/observe/admin.js').Admin;
  gateway: Gateway;
  events: GatewayEvent[];
  mocks: Record<string, RunningMock>;
  eventsOf<T extends GatewayEvent['type']>(type: T): Extract<GatewayEvent, { type: T }>[];
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

export async function gatewayFor(yaml: string, upstreams: Record<string, string> = {}): Promise<TestGateway> {
  const text = yaml.replace(/\{\{(\w[\w-]*)\}\}/g, (_m, name: string) => upstreams[name] ?? `{{${name}}}`);
  const r = parseProfile(text, 'test.yaml', {});
  if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
  const mocks: Record<string, RunningMock> = {};
  const urls = new Map<string, string>();
  for (const planned of mocksOfProfile(r.profile)) {
    const m = await startMock(planned.settings, 0, '127.0.0.1');
    mocks[m.name] = m;
    urls.set(m.name, m.url);
  }
  const bus = new EventBus();
  const events: GatewayEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const gateway = await startGateway(withBackendUrls(r.profile, urls), bus, '127.0.0.1:0');
  const admin = createAdmin({ runtime: () => gateway.state.runtime, bus, inflight: () => gateway.state.inflight }, r.profile.admin.key);
  const adminUrl = await listenOn(admin.server, '127.0.0.1', 0);
  const t: TestGateway = {
    url: gateway.url,
    adminUrl,
    admin,
    gateway,
    events,
    mocks,
    eventsOf: (type) => events.filter((e) => e.type === type) as never,
    mockStats: async (name) => (await (await fetch(`${mocks[name]!.url}/mock/stats`)).json()) as MockStatsJson,
    async close() {
      admin.close();
      await gateway.drain(100);
      await Promise.all(Object.values(mocks).map((m) => m.close()));
    },
  };
  return t;
}

/** gatewayFor, closed after the test file. */
export async function useGateway(yaml: string, upstreams: Record<string, string> = {}): Promise<TestGateway> {
  const t = await gatewayFor(yaml, upstreams);
  afterAll(() => t.close());
  return t;
}

/** Waits until `cond` holds (polling), or fails after `ms`. */
export async function eventually(cond: () => boolean | Promise<boolean>, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
