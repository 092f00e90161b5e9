/** The live TUI (`serve --tui`, `top`): one hook feeds presentational panels; keys move focus, pause, reset, quit. */
import { Box, Text, useApp, useInput, useStdout } from 'ink';
import { useEffect, useMemo, useReducer, useState } from 'react';
import { AdminClient, type AdminClientOptions } from './admin-client.js';
import { shownUrl } from './admin-target.js';
import { printable } from '../core/printable.js';
import type { GatewayEvent } from '../events/types.js';
import { EventLog, Rates, RefusalsPanel, RoutingPanel, TenantsPanel } from './components.js';
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, panelRows } from './layout.js';
import { applyEvent, applyStats, initialState, skippedNote, type StatsView, type TuiState } from './model.js';

type Action =
  | { type: 'stats'; stats: StatsView }
  | { type: 'event'; id: number; event: GatewayEvent }
  | { type: 'status'; connected: boolean; error?: string | undefined }
  | { type: 'skipped' }
  | { type: 'events'; error: string | undefined }
  | { type: 'pause' };

function reduceLive(s: TuiState, a: Exclude<Action, { type: 'pause' }>): TuiState {
  switch (a.type) {
    case 'status':
      return { ...s, connected: a.connected, error: a.error };
    case 'skipped':
      return { ...s, skipped: s.skipped + 1 };
    case 'events':
      return s.eventsError === a.error ? s : { ...s, eventsError: a.error };
    default:
      return a.type === 'stats' ? applyStats(s, a.stats) : applyEvent(s, a.id, a.event);
  }
}

/** What `p` holds still: the figures and the log as drawn when it was pressed. */
type Frozen = Pick<TuiState, 'stats' | 'log' | 'rps' | 'tps' | 'refusedRate'>;

/**
 * The feed as read, and what a pause holds still. A pause freezes what is drawn, not what is read: it dropped the
 * events and snapshots that came meanwhile, and a truncation or a refusal during a pause was never shown, nor counted
 * in its line's ×N, once the view went on.
 */
export interface FeedState {
  live: TuiState;
  frozen: Frozen | undefined;
}

export function reduceFeed(s: FeedState, a: Action): FeedState {
  if (a.type === 'pause') {
    if (s.frozen) return { ...s, frozen: undefined };
    const { stats, log, rps, tps, refusedRate } = s.live;
    return { ...s, frozen: { stats, log, rps, tps, refusedRate } };
  }
  const live = reduceLive(s.live, a);
  return live === s.live ? s : { ...s, live };
}

/** What is drawn: the live state, its figures and log as they were while paused (the status stays live). */
export function shownState(s: FeedState): TuiState {
  return s.frozen ? { ...s.live, ...s.frozen, paused: true } : s.live;
}

/** Connects to an admin listener and keeps the state current; `initial` lets tests and fixtures render offline. */
export function useGatewayFeed(admin: string | undefined, key: AdminClientOptions['key'], initial?: TuiState) {
  const [feed, dispatch] = useReducer(reduceFeed, { live: initial ?? initialState(), frozen: undefined });
  const state = shownState(feed);
  const client = useMemo(
    () =>
      admin
        ? new AdminClient(
            { admin, key },
            {
              stats: (stats) => dispatch({ type: 'stats', stats }),
              event: (id, event) => dispatch({ type: 'event', id, event }),
              status: (connected, error) => dispatch({ type: 'status', connected, error }),
              skipped: () => dispatch({ type: 'skipped' }),
              events: (error) => dispatch({ type: 'events', error }),
            },
          )
        : undefined,
    [admin, key],
  );
  useEffect(() => {
    client?.start();
    return () => client?.stop();
  }, [client]);
  return { state, togglePause: () => dispatch({ type: 'pause' }), reset: () => void client?.reset() };
}

/**
 * The terminal's size, kept current on resize (Ink redraws on resize, but does not re-run components). Both, not the
 * height alone: a terminal made narrower at the same height kept a frame of the old width until some figure changed —
 * never while paused — and the terminal wrapped each of its lines.
 */
function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    if (!stdout) return;
    stdout.on('resize', redraw);
    return () => {
      stdout.off('resize', redraw);
    };
  }, [stdout]);
  // 0 is no size: a terminal whose window size is not set yet (`docker run -t`, `script`) says 0 by 0.
  return { columns: stdout?.columns || DEFAULT_WIDTH, rows: stdout?.rows || DEFAULT_HEIGHT };
}

const PANELS = ['routing', 'tenants', 'refusals', 'events'] as const;

export function App({
  admin,
  adminKey,
  initial,
  width: fixedWidth,
  height: fixedHeight,
}: {
  admin?: string;
  /** The key, or where to read it at each request (serve --tui: the profile's, which a reload may rotate). */
  adminKey?: AdminClientOptions['key'];
  initial?: TuiState;
  width?: number;
  height?: number;
}) {
  const { state, togglePause, reset } = useGatewayFeed(admin, adminKey, initial);
  const { exit } = useApp();
  const terminal = useTerminalSize();
  // The terminal's width, however narrow: a frame wider than the terminal is wrapped by it, each line taking two rows,
  // and Ink, erasing the frame by its own line count before the next, left every earlier frame in the scrollback (at
  // 40 columns, 679 lines of it in 7 s, the header pushed off the screen). Every line truncates to this width.
  const width = fixedWidth ?? terminal.columns;
  const rows = panelRows(fixedHeight ?? terminal.rows, state.stats);
  const [focus, setFocus] = useState(0);
  const [scroll, setScroll] = useState(0);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) exit();
    else if (input === 'p') togglePause();
    else if (input === 'r') reset();
    else if (key.tab || key.rightArrow) setFocus((f) => (f + 1) % PANELS.length);
    else if (key.leftArrow) setFocus((f) => (f + PANELS.length - 1) % PANELS.length);
    else if (PANELS[focus] === 'events' && key.upArrow) setScroll((s) => Math.min(s + 1, Math.max(0, state.log.length - 1)));
    else if (PANELS[focus] === 'events' && key.downArrow) setScroll((s) => Math.max(0, s - 1));
  });
  const status = state.connected ? <Text color="green">● connected</Text> : <Text color="red">● {state.error ?? 'connecting…'}</Text>;
  return (
    <Box flexDirection="column" width={width}>
      {/* One line whatever the status says: it quotes the listener (a bad field's path, of names up to 512 characters
          each), and wrapped it pushed the panels down, past the rows layout.ts shared out. */}
      <Box justifyContent="space-between" paddingX={1}>
        <Box flexShrink={0} marginRight={1}>
          <Text bold wrap="truncate-end">
            aigw top {admin ? <Text dimColor>{printable(shownUrl(admin), Math.max(8, Math.floor(width / 3)))}</Text> : null}
          </Text>
        </Box>
        <Text wrap="truncate-end">
          {status}
          {state.paused ? <Text color="yellow"> PAUSED</Text> : null}
          {state.skipped ? <Text color="yellow"> {skippedNote(state.skipped)}</Text> : null}
          {state.eventsError ? <Text color="yellow"> no events: {state.eventsError}</Text> : null}
          <Text dimColor> q quit · p pause · r reset · tab/←→ panels · ↑↓ scroll</Text>
        </Text>
      </Box>
      <Rates rps={state.rps} tps={state.tps} refused={state.refusedRate} inflight={state.stats?.inflight ?? 0} width={width} />
      <RoutingPanel stats={state.stats} focused={PANELS[focus] === 'routing'} width={width} rows={rows.routing} />
      <TenantsPanel stats={state.stats} focused={PANELS[focus] === 'tenants'} width={width} rows={rows.tenants} />
      <RefusalsPanel stats={state.stats} focused={PANELS[focus] === 'refusals'} width={width} rows={rows.refusals} />
      <EventLog log={state.log} focused={PANELS[focus] === 'events'} rows={rows.events} scroll={scroll} />
    </Box>
  );
}
