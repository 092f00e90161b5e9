import { monotonicNow } from '../core/clock.js';

/**
 * Passive outlier ejection, per backend: after `consecutiveFailures` failures in a row (connect errors,
 * timeouts, 5xx) a backend is ejected for a cooldown, so a dead replica stops costing every request a
 * failed attempt. After the cooldown it is tried again (half-open): one request at a time (a probe) until one is
 * answered — a hung backend given its whole share back held every request that picked it for the first-byte
 * deadline —, one success restores it, one more failure ejects it again for twice as long (capped).
 */
export interface OutlierPolicy {
  consecutiveFailures: number;
  cooldownMs: number;
  maxCooldownMs: number;
}

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

  /** A request sent half-open (after an ejection's cooldown, before a success) has no answer yet (`probe`). */
  private probing = false;

  /** May take a request now: not ejected, nor half-open with its probe unanswered. */
  available(now: number): boolean {
    return now >= this.ejectedUntil && !(this.probing && this.ejections > 0);
  }

  /**
   * Called as a request is sent: true when it is the half-open backend's probe, which the caller gives back (`probed`)
   * once the attempt has an outcome — a head, a failure, or none (its client left). Until then `available` is false.
   */
  probe(now: number): boolean {
    if (this.ejections === 0 || now < this.ejectedUntil || this.probing) return false;
    this.probing = true;
    return true;
  }

  probed(): void {
    this.probing = false;
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
