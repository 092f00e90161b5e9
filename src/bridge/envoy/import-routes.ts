/**
 * AIGatewayRoute rules → `models`: a rule matching `x-ai-eg-model` exactly is a public model; its
 * priority-0 backendRefs are the targets (weights kept), each later priority a fallback model (an existing
 * model with the same targets, else a new `MODEL:priority-N`); `modelNameOverride` is the target's model;
 * other header matches become `match` rules. What aigw cannot route (regular expressions, catch-alls) is a warning.
 */
import { isReservedName, setOwn } from '../../profile/own-keys.js';
import type { KeyPath } from '../../profile/problems.js';
import { isHeaderName } from '../../profile/header-names.js';
import { quoted } from '../../profile/suggest.js';
import { reservedMessage } from './import-backends.js';
import { MODEL_HEADER } from './api.js';
import { type ImportContext, type Raw, shown } from './import-context.js';
import { duration } from './import-traffic.js';
import type { Manifest } from './manifests.js';

const obj = (v: unknown): Raw => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

interface Target {
  backend: string;
  /** The model name sent upstream. */
  upstream: string;
  weight: number;
  path: KeyPath;
}

interface Entry {
  route: Manifest;
  rule: number;
  model: string;
  headers: Record<string, string>;
  /** Targets by priority, lowest priority number first. */
  groups: Target[][];
}

export interface RouteTiming {
  /** Per rule: the overall deadline (0 = none) and the stream idle timeout, with where they came from. */
  requestMs: number;
  idleMs: number;
  m: Manifest;
  rule: number;
}

/** A regular expression that only spells out literal names (`^(a|b)$`, `gpt-4o`): those names, else undefined. */
export function literalNames(re: string): string[] | undefined {
  let body = re.startsWith('^') ? re.slice(1) : re;
  if (body.endsWith('$') && !body.endsWith('\\$')) body = body.slice(0, -1);
  const group = /^\((?:\?:)?([^()]*)\)$/.exec(body);
  const names: string[] = [];
  for (const alt of (group ? group[1]! : body).split('|')) {
    // Plain name characters and escaped punctuation only: no wildcard, class or quantifier.
    if (!/^(?:[A-Za-z0-9_:/-]|\\[.\-/:_])+$/.test(alt)) return undefined;
    names.push(alt.replace(/\\(.)/g, '$1'));
  }
  return names;
}

export function importRoutes(ctx: ImportContext, backends: ReadonlyMap<string, string>): RouteTiming[] {
  const entries: Entry[] = [];
  const timing: RouteTiming[] = [];
  for (const route of ctx.ofKind('AIGatewayRoute')) {
    ctx.use(route, ['spec', 'parentRefs']);
    list(obj(route.value.spec).rules).forEach((r, i) => {
      const rule = obj(r);
      const base: KeyPath = ['spec', 'rules', i];
      const groups = groupsOf(ctx, route, rule, base, backends);
      const t = obj(rule.timeouts);
      if (t.request !== undefined) ctx.use(route, [...base, 'timeouts', 'request']);
      if (rule.streamIdleTimeout !== undefined) ctx.use(route, [...base, 'streamIdleTimeout']);
      timing.push({
        requestMs: duration(ctx, route, [...base, 'timeouts', 'request'], t.request) ?? -1,
        idleMs: duration(ctx, route, [...base, 'streamIdleTimeout'], rule.streamIdleTimeout) ?? -1,
        m: route,
        rule: i,
      });
      const matches = list(rule.matches);
      if (matches.length === 0) {
        ctx.warn(route, base, `a rule without matches takes every model: aigw routes named models only, so it is not imported`);
        ctx.use(route, base);
        return;
      }
      matches.forEach((mt, j) => {
        const at: KeyPath = [...base, 'matches', j];
        const headers: Record<string, string> = {};
        let models: string[] | undefined;
        let ok = true;
        // Envoy Gateway makes each entry a header matcher of one route and Envoy requires them all, so a name given
        // twice (in any case: the API server lets `x-tier` and `X-Tier` both through) narrows the match; two values
        // no request can carry at once leave a match nothing meets, which the last value alone would have routed.
        const never = (k: number, name: string) => {
          ctx.warn(
            route,
            [...at, 'headers', k],
            `${name} is matched more than once with values no request carries together (Envoy requires every header ` +
              'match): no request meets this match, so it is not imported',
          );
          ok = false;
        };
        list(obj(mt).headers).forEach((h, k) => {
          const hd = obj(h);
          const name = String(hd.name ?? '').toLowerCase();
          const value = String(hd.value ?? '');
          const type = hd.type ?? 'Exact';
          if (name === MODEL_HEADER) {
            const named = type === 'Exact' ? [value] : literalNames(value);
            if (!named) {
              ctx.warn(
                route,
                [...at, 'headers', k],
                `model ${type} ${shown(value)}: aigw routes exact model names, ` +
                  'so this match is not imported (add the names as models)',
              );
              ok = false;
              return;
            }
            // By a set: a scan of `named` for each name was quadratic (two regexes of 80,000 names: 10.6 s).
            const wanted = new Set(named);
            models = models ? models.filter((m) => wanted.has(m)) : named;
            if (models.length === 0) never(k, name);
          } else if (!isHeaderName(name)) {
            // Gateway API validates the name; a manifest that skipped it made a rule no request could meet.
            ctx.warn(route, [...at, 'headers', k], `${quoted(name)} is not a header name: this match is not imported`);
            ok = false;
          } else if (type === 'Exact') {
            if (Object.hasOwn(headers, name) && headers[name] !== value) never(k, name);
            else setOwn(headers, name, value);
          } else {
            ctx.warn(
              route,
              [...at, 'headers', k],
              `a ${String(type)} match on ${name} cannot be expressed (aigw matches headers exactly): not imported`,
            );
            ok = false;
          }
        });
        const other = Object.keys(obj(mt)).filter((k) => k !== 'headers');
        if (other.length) {
          ctx.warn(route, at, `matches on ${other.join(', ')} cannot be expressed (aigw routes on the model and headers): not imported`);
          ok = false;
        }
        if (ok && !models) ctx.warn(route, at, `no ${MODEL_HEADER} match: aigw routes named models only, so this match is not imported`);
        ctx.use(route, at);
        if (!ok || !models) return;
        for (const model of models) {
          if (isReservedName(model)) ctx.warn(route, at, reservedMessage('model', model));
          else entries.push({ route, rule: i, model, headers, groups });
        }
      });
    });
  }
  build(ctx, entries);
  return timing;
}

function groupsOf(ctx: ImportContext, route: Manifest, rule: Raw, base: KeyPath, backends: ReadonlyMap<string, string>): Target[][] {
  const byPriority = new Map<number, Target[]>();
  list(rule.backendRefs).forEach((r, k) => {
    const ref = obj(r);
    const path: KeyPath = [...base, 'backendRefs', k];
    const key = `${String(ref.namespace ?? route.namespace)}/${String(ref.name)}`;
    const backend = backends.get(key);
    ctx.use(route, [...path, 'name'], [...path, 'namespace'], [...path, 'weight'], [...path, 'priority'], [...path, 'modelNameOverride']);
    if (ref.kind !== undefined && ref.kind !== 'AIServiceBackend') {
      ctx.warn(route, [...path, 'kind'], `a ${String(ref.kind)} backend cannot be imported: this reference is dropped`);
      ctx.use(route, [...path, 'kind'], [...path, 'group']);
      return;
    }
    if (!backend) {
      ctx.warn(route, path, `AIServiceBackend ${key} is not among the files (or was skipped): this reference is dropped`);
      return;
    }
    const priority = whole(ctx, route, [...path, 'priority'], ref.priority, 0);
    const t: Target = {
      backend,
      upstream: typeof ref.modelNameOverride === 'string' ? ref.modelNameOverride : '',
      weight: whole(ctx, route, [...path, 'weight'], ref.weight, 1),
      path,
    };
    const group = byPriority.get(priority);
    if (group) group.push(t);
    else byPriority.set(priority, [t]);
  });
  // A priority whose weights sum to 0 (drained) gets nothing from Envoy, which spills over to the next: the profile takes
  // no such group (it refuses one outright, and the whole import with it), so the next priority routes the model.
  return [...byPriority.entries()]
    .sort(([a], [b]) => a - b)
    .filter(([priority, g]) => {
      if (g.some((t) => t.weight > 0)) return true;
      ctx.warn(
        route,
        g[0]!.path,
        `the weights of priority ${priority} sum to 0: Envoy sends it nothing (and moves to the next priority), so it is not imported`,
      );
      return false;
    })
    .map(([, g]) => g);
}

/**
 * A backendRef's integer field (weight, priority): absent is the CRD's default; anything but a whole number ≥ 0 is
 * a manifest the cluster refuses, so the import says what it read instead (a string of digits as its number).
 */
function whole(ctx: ImportContext, route: Manifest, path: KeyPath, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : undefined;
  const read = n !== undefined && Number.isSafeInteger(n) ? n : fallback;
  ctx.warn(
    route,
    path,
    `${shown(v)} is not a whole number ≥ 0 (the CRD refuses it, so the cluster would not accept this route): ` +
      `read as ${read}${n === undefined ? ', the default' : ''}`,
  );
  return read;
}

/** A target as the profile writes it; `model` only when the upstream name differs from the public one. */
function targetValue(t: Target, publicName: string, clientModel: string): Raw {
  const upstream = t.upstream || clientModel;
  return { backend: t.backend, ...(upstream !== publicName ? { model: upstream } : {}), weight: t.weight };
}

/**
 * What makes two target lists equal, as one string: each target's backend, upstream model (`model`, else the public
 * name `name`) and share of the weight, in any order. Models are indexed by it: comparing each fallback group
 * with every model made an import of thousands of rules quadratic.
 */
function targetsKey(ts: readonly Raw[], name: string): string {
  const total = ts.reduce((s, t) => s + Number(t.weight), 0) || 1;
  return JSON.stringify(ts.map((t) => `${String(t.backend)}|${String(t.model ?? name)}|${(Number(t.weight) / total).toFixed(6)}`).sort());
}

/** Whether `to` is `from` or among the fallbacks reached from it, following the fallbacks set so far. */
function reaches(out: Readonly<Record<string, Raw>>, from: string, to: string): boolean {
  const seen = new Set<string>();
  for (const queue = [from]; queue.length; ) {
    const m = queue.pop()!;
    if (m === to) return true;
    if (seen.has(m)) continue;
    seen.add(m);
    const next = Object.hasOwn(out, m) ? out[m]!.fallbacks : undefined;
    if (Array.isArray(next)) queue.push(...(next as string[]));
  }
  return false;
}

function build(ctx: ImportContext, entries: Entry[]): void {
  const models = new Map<string, { targets?: Raw[]; match?: Raw[]; primary?: Entry }>();
  const firstEntry = new Map<string, Entry>();
  for (const e of entries) {
    if (!firstEntry.has(e.model)) firstEntry.set(e.model, e);
    const rulePath: KeyPath = ['spec', 'rules', e.rule];
    if (e.groups.length === 0) {
      ctx.warn(e.route, [...rulePath, 'backendRefs'], `model ${e.model}: no backend left to route to, so it is not imported`);
      continue;
    }
    const primary = e.groups[0]!.map((t) => targetValue(t, e.model, e.model));
    const m = models.get(e.model) ?? {};
    const routed = ctx.routedModels.get(e.model);
    if (routed) routed.push(e.route);
    else ctx.routedModels.set(e.model, [e.route]);
    e.groups[0]!.forEach((t, i) => {
      if (!m.targets && !Object.keys(e.headers).length) ctx.origin.set(`models.${e.model}.targets[${i}]`, e.route.at(t.path));
    });
    models.set(e.model, m);
    ctx.origin.set(`models.${e.model}`, e.route.at(rulePath));
    if (Object.keys(e.headers).length) {
      m.match = [...(m.match ?? []), { when: { headers: e.headers }, targets: primary }];
      if (e.groups.length > 1) {
        ctx.warn(
          e.route,
          [...rulePath, 'backendRefs'],
          "priorities under a header match cannot be expressed (aigw's fallbacks belong to the model): only priority 0 is imported",
        );
      }
    } else if (m.targets) {
      ctx.warn(e.route, rulePath, `model ${e.model} is already routed by an earlier rule: this one is not imported`);
    } else {
      m.targets = primary;
      m.primary = e;
    }
  }
  // Fallbacks last, so a priority group equal to another model's targets can name that model.
  const byTargets = new Map<string, string[]>();
  for (const [name, m] of models) {
    if (!m.targets) continue;
    const key = targetsKey(m.targets, name);
    const same = byTargets.get(key);
    if (same) same.push(name);
    else byTargets.set(key, [name]);
  }
  const out: Record<string, Raw> = {};
  for (const [name, m] of models) {
    if (!m.targets) {
      const e = firstEntry.get(name)!;
      ctx.warn(
        e.route,
        ['spec', 'rules', e.rule],
        `model ${name} is only routed under header matches: aigw needs default targets, so requests without those headers ` +
          "go to the first match's targets (the cluster answers 404)",
      );
    }
    // Gateway API precedence, which Envoy Gateway keeps: of matches on one model, more headers first (the file's
    // order among equals). aigw takes the first match that applies, in the profile's order.
    const match = m.match && [...m.match].sort((a, b) => headerCount(b) - headerCount(a));
    out[name] = { targets: m.targets ?? m.match![0]!.targets, ...(match ? { match } : {}) };
    const e = m.primary;
    if (!e || e.groups.length < 2) continue;
    const fallbacks: string[] = [];
    e.groups.slice(1).forEach((g, k) => {
      const asProfile = g.map((t) => targetValue(t, name, name));
      // An equal model, unless falling back to it leads back here (mutual failover: a, then b; b, then a).
      const same = byTargets.get(targetsKey(asProfile, name))?.find((other) => other !== name && !reaches(out, other, name));
      if (same) {
        fallbacks.push(same);
        return;
      }
      // Never the name of a real model (a route may well be called `gpt:priority-1`).
      let synth = `${name}:priority-${k + 1}`;
      for (let n = 2; models.has(synth) || Object.hasOwn(out, synth); n++) synth = `${name}:priority-${k + 1}-${n}`;
      out[synth] = { targets: g.map((t) => targetValue(t, synth, name)) };
      ctx.origin.set(`models.${synth}`, e.route.at(g[0]!.path));
      fallbacks.push(synth);
      ctx.warn(
        e.route,
        g[0]!.path,
        `priority ${k + 1} of ${name} becomes the fallback model ${synth} (aigw falls back by model), ` +
          'which clients can also call by that name',
      );
    });
    out[name]!.fallbacks = fallbacks;
  }
  ctx.profile.models = out;
}

function headerCount(match: Raw): number {
  return Object.keys((match.when as { headers: Raw }).headers).length;
}
