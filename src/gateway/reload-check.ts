/**
 * Which changes a reload may not make. A setting that needs a restart is refused with a message naming it,
 * so the running gateway never silently keeps an old value while reporting the new one; everything else
 * derived from the profile is applied for real (gateway/runtime.ts).
 */
import type { Profile } from '../profile/schema.js';

export interface PinnedSettings {
  /** The listen address was given on the command line (a profile change to it is moot). */
  listenOverridden: boolean;
  adminOverridden: boolean;
}

/** One message per refused change; empty when the reload may go ahead. */
export function reloadRefusals(current: Profile, next: Profile, pinned: PinnedSettings): string[] {
  const out: string[] = [];
  if (!pinned.listenOverridden && current.listen !== next.listen) {
    out.push(`listen: changing the gateway's address (${current.listen} → ${next.listen}) needs a restart`);
  }
  if (!pinned.adminOverridden && current.admin.listen !== next.admin.listen) {
    out.push(`admin.listen: changing the admin address (${current.admin.listen} → ${next.admin.listen}) needs a restart`);
  }
  if (current.limits.listenBacklog !== next.limits.listenBacklog) {
    out.push('limits.listenBacklog: the listen backlog is set when the socket opens; changing it needs a restart');
  }
  if (current.admin.enabled !== next.admin.enabled) out.push('admin.enabled: turning the admin listener on or off needs a restart');
  if ((current.tls === undefined) !== (next.tls === undefined)) {
    out.push(`tls: turning HTTPS ${next.tls ? 'on' : 'off'} for the gateway listener needs a restart (certificates themselves reload)`);
  }
  const hadTenants = Object.keys(current.tenants ?? {}).length > 0;
  const hasTenants = Object.keys(next.tenants ?? {}).length > 0;
  if (hadTenants && !hasTenants) {
    out.push('tenants: a reload may not remove every tenant (that would turn authentication off); restart to do that');
  }
  return out;
}
