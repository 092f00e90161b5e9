/**
 * The composition root: a profile's mocks (optional), the gateway, the admin listener and the request log,
 * started together and stopped together. `aigw serve` and the tests build on it, so what runs in a test
 * is what a user runs.
 */
import { EventBus } from '../events/bus.js';
import { processAdminConnectionCap } from '../gateway/connection-cap.js';
import { reloadRefusals } from '../gateway/reload-check.js';
import { type Gateway, listen, startGateway } from '../gateway/server.js';
import { requestDeadlines } from '../core/listen.js';
import type { RunningMock } from '../mock/server.js';
import { type Admin, createAdmin } from '../observe/admin.js';
import { attachRequestLog, type LogFormat } from '../observe/request-log.js';
import type { Profile } from '../profile/schema.js';
import { mocksOfProfile, withBackendUrls } from './mock-settings.js';
import { getOwn } from '../profile/own-keys.js';
import { CliError } from './run.js';

export interface StackOptions {
  /** Overrides of the profile's listen addresses (port 0 picks a free port). */
  listen?: string | undefined;
  admin?: string | undefined;
  /** Start the profile's mock backends in this process, on the ports their URLs name. */
  mocks?: boolean | undefined;
  /** Mock ports from the profile are replaced by free ones (tests run many stacks at once). */
  mocksOnFreePorts?: boolean | undefined;
  log?: LogFormat | undefined;
  logOut?: NodeJS.WritableStream | undefined;
  /** Called once per listener that accepts connections, with its ready line. */
  announce?: ((line: string) => void) | undefined;
}

export interface Stack {
  readonly bus: EventBus;
  readonly gateway: Gateway;
  readonly url: string;
  readonly admin: Admin | undefined;
  readonly adminUrl: string | undefined;
  readonly mocks: readonly RunningMock[];
  /** The profile as served (mock URLs filled in). */
  profile(): Profile;
  /**
   * Applies a new profile, or says which of its changes need a restart (and keeps the old one). One at a time,
   * in call order, each checked against the profile the one before it left; refused once close() has begun.
   */
  reload(next: Profile): Promise<{ ok: true } | { ok: false; problems: string[] }>;
  /**
   * Drains the gateway (for `drainMs`, the profile's timeouts.drain by default; a reload under way finishes
   * first, within that bound), then stops the rest.
   */
  close(drainMs?: number): Promise<void>;
}

export async function startStack(profile: Profile, opts: StackOptions = {}): Promise<Stack> {
  const announce = opts.announce ?? (() => {});
  const mocks: RunningMock[] = [];
  const mockUrls = new Map<string, string>();
  const stopMocks = () => Promise.all(mocks.map((m) => m.close()));
  try {
    if (opts.mocks) {
      // Loaded only when asked for: a gateway without in-process mocks never holds their code or tokenizer.
      const { startMock } = await import('../mock/server.js');
      for (const planned of mocksOfProfile(profile)) {
        const port = opts.mocksOnFreePorts ? 0 : planned.port;
        const mock = await startMock(planned.settings, port, planned.host).catch((e: Error) => {
          throw new CliError(`cannot start mock ${planned.settings.name}: ${e.message}`);
        });
        mocks.push(mock);
        mockUrls.set(mock.name, mock.url);
        announce(`mock ${mock.name} (${mock.kind}) listening on ${mock.url}`);
      }
    }
  } catch (e) {
    await stopMocks();
    throw e;
  }
  // The running mocks' URLs, for the backends that are still mocks: one a reload gave a real URL is sent there.
  const effective = (p: Profile): Profile => {
    const urls = new Map([...mockUrls].filter(([name]) => getOwn(p.backends, name)?.mock !== undefined));
    return urls.size ? withBackendUrls(p, urls) : p;
  };
  // What each mock runs with, to tell a reload that would need another (mocks start with the gateway, once).
  const mocksRunning = new Map(opts.mocks ? mocksOfProfile(profile).map((m) => [m.settings.name, JSON.stringify(m.settings)]) : []);
  const bus = new EventBus();
  let served = effective(profile);
  const listenAt = opts.listen ?? served.listen;
  const gateway = await startGateway(served, bus, listenAt).catch(async (e: Error) => {
    await stopMocks();
    throw new CliError(`cannot listen on ${listenAt}: ${e.message}`);
  });
  announce(`gateway listening on ${gateway.url}`);
  const admin = served.admin.enabled
    ? createAdmin({
        view: () => gateway.state.runtime.view,
        bus,
        inflight: () => gateway.state.live.size,
        // Answered and still settling too: the limits count a request until its settlement, and so do the stats.
        inFlightRequests: () => [...gateway.state.live.snapshot(), ...gateway.state.settling].map((ctx) => ctx.record),
        requestTimeoutMs: served.timeouts.request,
        // Read per answer: a reload's value applies to the next (as the gateway's listener reads its profile's).
        clientStallMs: () => served.timeouts.clientStall,
        // Its connections never take the descriptors the gateway keeps for its backends (gateway/connection-cap.ts).
        maxConnections: processAdminConnectionCap(),
      })
    : undefined;
  const adminAt = opts.admin ?? served.admin.listen;
  const adminUrl = admin
    ? await listen(admin.server, adminAt).catch(async (e: Error) => {
        await gateway.drain(0);
        await stopMocks();
        throw new CliError(`cannot listen on ${adminAt}: ${e.message}`);
      })
    : undefined;
  if (adminUrl) announce(`admin listening on ${adminUrl}`);
  const detachLog = opts.log && opts.log !== 'off' ? attachRequestLog(bus, opts.log, opts.logOut) : () => {};
  let closing = false;
  let reloads: Promise<unknown> = Promise.resolve();
  const apply = async (next: Profile): Promise<{ ok: true } | { ok: false; problems: string[] }> => {
    if (closing) return { ok: false, problems: ['the gateway is stopping'] };
    const problems = reloadRefusals(served, next, {
      listenOverridden: opts.listen !== undefined,
      adminOverridden: opts.admin !== undefined,
    });
    if (opts.mocks) problems.push(...mockChanges(mocksRunning, next));
    if (problems.length) return { ok: false, problems };
    const fresh = effective(next);
    try {
      await gateway.reload(fresh);
    } catch (e) {
      // What the new profile needs could not be set up (a TLS file gone since validation): the old one keeps serving.
      return { ok: false, problems: [(e as Error).message] };
    }
    served = fresh;
    // The admin listener's request deadline is the profile's too (it was read once, at start): what it reads next is
    // held to the new one, as the gateway's listener is (gateway/server.ts applyTimeouts).
    if (admin) {
      const { headersTimeout, requestTimeout } = requestDeadlines(fresh.timeouts.request);
      admin.server.headersTimeout = headersTimeout;
      admin.server.requestTimeout = requestTimeout;
    }
    return { ok: true };
  };
  return {
    bus,
    gateway,
    url: gateway.url,
    admin,
    adminUrl,
    mocks,
    profile: () => served,
    reload(next) {
      const done = reloads.then(() => apply(next));
      reloads = done.catch(() => {});
      return done;
    },
    async close(drainMs = served.timeouts.drain) {
      closing = true;
      await gateway.drain(drainMs);
      detachLog();
      admin?.close();
      await stopMocks();
    },
  };
}

/**
 * A reload's mocks that are not the ones running: in-process mocks start with the gateway and keep their settings, so
 * a mock the reload adds would leave its backend at the port its URL names (nothing listening on port 0), and one it
 * changes — another model routed to it, its pace, faults or key — would answer as before (a new model: the mock's
 * 404). Reported applied, neither was. A mock the reload drops stops being used (its backend's own URL is served).
 */
function mockChanges(running: ReadonlyMap<string, string>, next: Profile): string[] {
  const out: string[] = [];
  for (const m of mocksOfProfile(next)) {
    const was = running.get(m.settings.name);
    if (was === undefined) out.push(`backends.${m.settings.name}.mock: a mock added by a reload is not started: restart to start it`);
    else if (was !== JSON.stringify(m.settings))
      out.push(
        `backends.${m.settings.name}.mock: the mock keeps the settings it started with (the models it serves, its pace, ` +
          'faults and key): restart to change them',
      );
  }
  return out;
}
