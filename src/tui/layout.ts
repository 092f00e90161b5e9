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
  events: number;
}

/** Rows the routing panel would draw whole: a line per model and one per backend. */
export function routingNeed(stats: StatsView | undefined): number {
  if (!stats) return 1;
  let rows = 0;
  for (const m of Object.values(stats.models)) rows += 1 + Object.keys(m.backends).length;
  return Math.max(1, rows);
}

/**
 * Each list's share of `height`, one row kept free (a frame as tall as the terminal is redrawn whole). A list
 * never gets fewer than two rows (one of them for "…and N more"), so a tiny terminal still shows a little.
 */
export function panelRows(height: number, stats: StatsView | undefined): PanelRows {
  const refused = refusalsByTenant(stats).length;
  const refusalRows = refused === 0 ? 1 : Math.min(refused, REFUSAL_ROWS) + (refused > REFUSAL_ROWS ? 1 : 0);
  const events = Math.max(3, Math.min(EVENT_ROWS, height - 30));
  const free = height - 1 - CHROME - refusalRows - events;
  const routingWants = routingNeed(stats);
  const tenantsWants = Math.max(1, Object.keys(stats?.tenants ?? {}).length);
  if (routingWants + tenantsWants <= free) return { routing: routingWants, tenants: tenantsWants, events };
  // Tenants keep a third when routing wants more than fits; what one list leaves, the other takes.
  const routing = Math.min(routingWants, Math.max(2, free - Math.min(tenantsWants, Math.max(2, Math.floor(free / 3)))));
  return { routing, tenants: Math.min(tenantsWants, Math.max(2, free - routing)), events };
}
