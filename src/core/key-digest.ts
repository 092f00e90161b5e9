/** What an API key is looked up by: its SHA-256 digest (tenants/keys.ts), the same for the profile's checks. */
import { sha256 } from './sha256.js';

/** Runs for every authenticated request (one-shot: core/sha256.ts). */
export function sha256Hex(s: string): string {
  return sha256(s, 'hex');
}

/**
 * What a profile's key is looked up by: the lower-case hex digest of a plain key, or the digest a `sha256:` key
 * gives (in either case). Two keys with one digest are one key, however the profile writes them (profile/checks.ts).
 */
export function keyDigest(profileKey: string): string {
  return profileKey.startsWith('sha256:') ? profileKey.slice(7).toLowerCase() : sha256Hex(profileKey);
}
