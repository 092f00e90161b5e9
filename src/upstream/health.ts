/**
 * Passive outlier ejection, per backend: after `consecutiveFailures` failures in a row (connect errors,
 * timeouts, 5xx) a backend is ejected for a cooldown, so a dead replica stops costing every request a
 * failed attempt. After the cooldown it is tried again (half-open): one success restores it, one more
 * failure ejects it again for twice as long (capped).
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

  constructor(private policy: OutlierPolicy) {}

  /** New thresholds (a reload); the failure streak and an ejection under way are kept. */
  update(policy: OutlierPolicy): void {
    this.policy = policy;
  }

  available(now: number): boolean {
    return now >= this.ejectedUntil;
  }

  get ejected(): boolean {
    return this.ejectedUntil > Date.now();
  }

  /** Returns true when this success ended an ejection streak. */
  success(): boolean {
    const recovered = this.ejections > 0;
    this.failures = 0;
    this.ejections = 0;
    return recovered;
  }

  /** Records a failure; returns the cooldown in ms when it caused an ejection, else 0. */
  failure(now: number): number {
    this.failures++;
    if (this.failures < this.policy.consecutiveFailures) return 0;
    const cooldown = Math.min(this.policy.cooldownMs * 2 ** this.ejections, this.policy.maxCooldownMs);
    this.ejections++;
    this.ejectedUntil = now + cooldown;
    return cooldown;
  }
}
