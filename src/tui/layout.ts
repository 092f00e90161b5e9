/**
 * How many rows each panel may draw, from the terminal's height. The routing and tenants panels list what the
 * admin listener sent, and a listener may send thousands of models: drawn whole, 2,000 of them took seconds
 * per frame (Ink redraws a frame taller than the terminal in full), and `q` waited behind them.
 */
import type { StatsView } from './model.js';
import { refusalsByTenant } from './model.js';

/** Rows outside the panels' lists: the title line, the rates line, and each of four panels' borders and title. */
const CHROME = 2 + 4 * 3;
const EVENT_ROWS = 8;
/** The refusals panel lists at most this many tenants (and a line for the rest). */
export const REFUSAL_ROWS = 6;
/** Used when the terminal does not say (a test's fake one). */
export const DEFAULT_HEIGHT = 50;
export const DEFAULT_WIDTH = 100;

export interface PanelRows {
  routing: number;
  tenants: number;
  refusals: number;
  events: number;
}

/** Rows the routing panel would draw whole: a line per model and one per backend. */
export function routingNeed(stats: StatsView | undefined): number {
  if (!stats) return 1;
  let rows = 0;
  for (const m of Object.values(stats.models)) rows += 1 + Object.keys(m.backends).length;
  return Math.max(1, rows);
}

/** Rows the refusals panel would draw: a tenant a row, at most REFUSAL_ROWS of them and a line for the rest. */
function refusalsNeed(stats: StatsView | undefined): number {
  const refused = refusalsByTenant(stats).length;
  return refused === 0 ? 1 : Math.min(refused, REFUSAL_ROWS) + (refused > REFUSAL_ROWS ? 1 : 0);
}

/**
 * Each list's share of `height`, one row kept free (a frame as tall as the terminal is redrawn whole). A list
 * gets two rows (one of them for "…and N more") where there is room, so a small terminal still shows a little.
 */
export function panelRows(height: number, stats: StatsView | undefined): PanelRows {
  const events = Math.max(3, Math.min(EVENT_ROWS, height - 30));
  const refusals = refusalsNeed(stats);
  const free = height - 1 - CHROME - refusals - events;
  const routingWants = routingNeed(stats);
  const tenantsWants = Math.max(1, Object.keys(stats?.tenants ?? {}).length);
  if (routingWants + tenantsWants <= free) return { routing: routingWants, tenants: tenantsWants, refusals, events };
  // Tenants keep a third when routing wants more than fits; what one list leaves, the other takes.
  const routing = Math.min(routingWants, Math.max(2, free - Math.min(tenantsWants, Math.max(2, Math.floor(free / 3)))));
  return fitted(height, { routing, tenants: Math.min(tenantsWants, Math.max(2, free - routing)), refusals, events });
}

/**
 * Rows taken back, down to one a list ("…and N more" alone), until the frame is shorter than the terminal. Taller — an
 * 80×24 terminal, its lists at two rows each, seven for the refusals and three for the log drew 24 to 28 — Ink
 * cleared the whole screen and the terminal's scrollback on every redraw, four a second, and the header went off the
 * top. The log and the refusals give up rows first, then the lists; under 20 rows the frame is what it is.
 */
function fitted(height: number, rows: PanelRows): PanelRows {
  const r = { ...rows };
  const budget = height - 1 - CHROME;
  for (const [k, least] of [
    ['refusals', 2],
    ['events', 2],
    ['tenants', 1],
    ['routing', 1],
    ['refusals', 1],
    ['events', 1],
  ] as const) {
    while (r.routing + r.tenants + r.refusals + r.events > budget && r[k] > least) r[k]--;
  }
  return r;
}
