/**
 * What one profile becomes at run time: routes, backends (pools shared across reloads) and the rendered
 * /v1/models list. A request keeps the Runtime it started with, so a reload never changes it mid-flight.
 */
import type { Profile } from '../profile/schema.js';
import { buildRouteTable, type ModelRoute } from '../routing/route-table.js';
import type { BackendRegistry, BackendRuntime } from '../upstream/backends.js';
import type { BufferPolicy } from '../relay/body-relay.js';
import { TenantDirectory } from '../tenants/keys.js';

export class Runtime {
  readonly routes: ReadonlyMap<string, ModelRoute>;
  readonly backends: ReadonlyMap<string, BackendRuntime>;
  readonly bufferPolicy: BufferPolicy;
  readonly tenants: TenantDirectory;
  readonly createdAt = Math.floor(Date.now() / 1000);
  private readonly modelEntries: ReadonlyMap<string, string>;

  constructor(
    readonly profile: Profile,
    registry: BackendRegistry,
  ) {
    this.backends = registry.update(profile);
    this.routes = buildRouteTable(profile, this.backends as Map<string, BackendRuntime>);
    this.bufferPolicy = profile.limits.responseBuffer;
    this.tenants = new TenantDirectory(profile);
    this.modelEntries = new Map(
      Object.keys(profile.models).map((id) => [id, JSON.stringify({ id, object: 'model', created: this.createdAt, owned_by: 'aigw' })]),
    );
  }

  /** OpenAI's list shape, for the models `allowed` says the caller may use. */
  modelList(allowed: (model: string) => boolean): string {
    const items: string[] = [];
    for (const [id, json] of this.modelEntries) if (allowed(id)) items.push(json);
    return `{"object":"list","data":[${items.join(',')}]}`;
  }

  modelEntry(id: string): string | undefined {
    return this.modelEntries.get(id);
  }
}
