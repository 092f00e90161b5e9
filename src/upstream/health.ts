import { monotonicNow } from '../core/clock.js';

/**
 * Passive outlier ejection, per backend: after `consecutiveFailures` failures in a row (connect errors,
 * timeouts, 5xx) a backend is ejected for a cooldown, so a dead replica stops costing every request a
 * failed attempt. After the cooldown it is tried again (half-open): one request at a time (a probe) until one has a
 * head — a hung backend given its whole share back held every request that picked it for the first-byte deadline —,
 * one success restores it, one more failure ejects it again for twice as long (capped).
 */
export interface OutlierPolicy {
  consecutiveFailures: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

/** The longest a half-open backend's probe keeps other requests away (BackendHealth.probe). */
export const PROBE_HOLD_MS = 2000;

export class BackendHealth {
  private failures = 0;
  private ejectedUntil = 0;
  private ejections = 0;
  /** Ejections so far, never reset: which one an attempt was sent under (`epoch`). */
  private ejectionsEver = 0;

  constructor(private policy: OutlierPolicy) {}

  /** New thresholds (a reload); the failure streak and an ejection under way are kept. */
  update(policy: OutlierPolicy): void {
    this.policy = policy;
  }

  /**
   * Until when (monotonic ms) a request sent half-open (after an ejection's cooldown, before a success) holds the backend
   * for itself while it has no outcome (`probe`); 0 for none.
   */
  private probeUntil = 0;

  /** May take a request now: not ejected, nor half-open with a probe under way (unless `pastProbe`: see RouteClock). */
  available(now: number, pastProbe = false): boolean {
    return now >= this.ejectedUntil && (pastProbe || !(this.ejections > 0 && now < this.probeUntil));
  }

  /**
   * Called as a request is sent: when the backend is half-open and no probe is under way, this request is its probe —
   * `available` is false until the caller gives it back (`probed`, with what this returned) once the attempt has an
   * outcome (a head, a failure, its client gone), or PROBE_HOLD_MS have passed: a probe that is a long non-streamed
   * generation, whose head comes at its end, holds a healthy backend back that long at most. 0: not a probe.
   */
  probe(now: number): number {
    if (this.ejections === 0 || now < this.ejectedUntil || now < this.probeUntil) return 0;
    this.probeUntil = now + PROBE_HOLD_MS;
    return this.probeUntil;
  }

  probed(token: number): void {
    if (token !== 0 && token === this.probeUntil) this.probeUntil = 0;
  }

  get ejected(): boolean {
    return this.ejectedUntil > monotonicNow();
  }

  /**
   * What an attempt notes as it is sent, and gives back with its outcome. An outcome that comes during an ejection
   * begun after it was sent is that of a request under way when the backend was ejected: it says nothing the ejection
   * does not, and changes nothing — counted, each failure of a burst ejected it again for twice as long (six
   * requests failing together: 8 × the cooldown), and a success published `ejected: false` for a backend still ejected
   * and wiped the streak the relapse after the cooldown doubles. One sent during the ejection (panic mode, the quick
   * retry) is read as ever.
   */
  get epoch(): number {
    return this.ejectionsEver;
  }

  /** Returns true when this success ended an ejection streak (one sent during the ejection ends the ejection too). */
  success(now = monotonicNow(), sentUnder = this.ejectionsEver): boolean {
    if (now < this.ejectedUntil) {
      if (sentUnder !== this.ejectionsEver) return false;
      this.ejectedUntil = 0;
    }
    const recovered = this.ejections > 0;
    this.failures = 0;
    this.ejections = 0;
    // Recovered: a probe still out holds nothing (ejected again within its hold, the backend would otherwise wait it out
    // with no probe of its own).
    this.probeUntil = 0;
    return recovered;
  }

  /** Records a failure; returns the cooldown in ms when it caused an ejection, else 0. */
  failure(now: number, sentUnder = this.ejectionsEver): number {
    if (now < this.ejectedUntil && sentUnder !== this.ejectionsEver) return 0;
    this.failures++;
    if (this.failures < this.policy.consecutiveFailures) return 0;
    const cooldown = Math.min(this.policy.cooldownMs * 2 ** this.ejections, this.policy.maxCooldownMs);
    this.ejections++;
    this.ejectionsEver++;
    this.ejectedUntil = now + cooldown;
    return cooldown;
  }
}
