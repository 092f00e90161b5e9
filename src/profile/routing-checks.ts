/**
 * Cross-checks of the routing fields (strategy, pricing, contextWindow, escalate): references, and settings
 * that are legal but do nothing.
 */
import type { Report } from './checks.js';
import type { KeyPath } from './problems.js';
import type { Profile } from './schema.js';
import { unknownName } from './suggest.js';
import { getOwn } from './own-keys.js';

type Targets = Profile['models'][string]['targets'];

/** A model's `targets` and each `match` rule's, with their key paths. */
export function targetLists(name: string, m: Profile['models'][string]): [KeyPath, Targets][] {
  const out: [KeyPath, Targets][] = [[['models', name, 'targets'], m.targets]];
  m.match?.forEach((r, j) => {
    out.push([['models', name, 'match', j, 'targets'], r.targets]);
  });
  return out;
}

/** Escalations name other models; they are one hop, so a rule on the target model is never applied. */
export function checkEscalations(p: Profile, report: Report): void {
  const modelNames = Object.keys(p.models);
  for (const [name, m] of Object.entries(p.models)) {
    m.escalate?.forEach((rule, i) => {
      const path: KeyPath = ['models', name, 'escalate', i, 'model'];
      if (rule.model === name) report('error', path, `"${name}" cannot escalate to itself`);
      else if (!getOwn(p.models, rule.model)) {
        report('error', path, () => unknownName('model', rule.model, modelNames));
      } else if (getOwn(p.models, rule.model)!.escalate) {
        report(
          'warning',
          path,
          `"${rule.model}" has escalate rules of its own; escalation is one hop, so they do not apply to requests escalated from "${name}"`,
        );
      }
    });
  }
}

/**
 * A strategy chooses among targets of equal weight (weights split traffic between such groups, so a canary
 * keeps its share); `cost` needs prices to compare.
 */
export function checkStrategyTargets(strategy: string, path: KeyPath, targets: Targets, report: Report): void {
  targets.forEach((t, i) => {
    if (t.pricing?.cachedInput !== undefined && t.pricing.cachedInput > t.pricing.input) {
      report('warning', [...path, i, 'pricing', 'cachedInput'], 'cached input is priced above uncached input');
    }
  });
  if (strategy === 'weighted') return;
  const perWeight = new Map<number, number>();
  for (const t of targets) if (t.weight > 0) perWeight.set(t.weight, (perWeight.get(t.weight) ?? 0) + 1);
  if (targets.length > 1 && ![...perWeight.values()].some((n) => n > 1)) {
    report(
      'warning',
      path,
      `strategy ${strategy} chooses among targets of equal weight, and no two of these share one: they are split by weight only`,
    );
  }
  if (strategy !== 'cost' || targets.every((t) => !t.pricing)) return;
  targets.forEach((t, i) => {
    if (!t.pricing) report('warning', [...path, i], 'no pricing: strategy cost chooses this target only when no priced one fits', true);
  });
}

/** `cost` compares prices: a target list with none has nothing to compare. */
export function checkCostPricing(p: Profile, report: Report): void {
  for (const [name, m] of Object.entries(p.models)) {
    if (m.strategy !== 'cost') continue;
    for (const [path, targets] of targetLists(name, m)) {
      if (targets.every((t) => !t.pricing)) {
        report('error', path, 'strategy cost compares prices: give these targets pricing { input, output } (USD per million tokens)');
      }
    }
  }
}
