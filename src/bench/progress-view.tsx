/**
 * The bench's live view on a terminal (Ink): the scenarios done and to come, and for the one running its
 * elapsed/total, requests/s, goodput, failures by code and current p50/p99; the latest step below.
 */
import { Box, render, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { LiveSnapshot } from './live.js';

export interface ProgressFeed {
  scenarios: readonly string[];
  current: string;
  done: number;
  line: string;
  startedAt: number;
  live?: () => LiveSnapshot;
}

const ms = (x: number | undefined) => (x === undefined ? '–' : x >= 1000 ? `${(x / 1000).toFixed(2)}s` : `${x.toFixed(x < 10 ? 1 : 0)}ms`);

export function LiveRow({ s }: { s: LiveSnapshot }) {
  const elapsed = `${(s.elapsedMs / 1000).toFixed(1)}s${s.totalMs ? `/${(s.totalMs / 1000).toFixed(1)}s` : ''}`;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        {' '}
        <Text color="cyan">{s.scenario}</Text> {elapsed} <Text bold>{s.rps.toFixed(1)}</Text> req/s goodput{' '}
        <Text color="green">{s.goodput.toFixed(1)}</Text>/s p50 {ms(s.p50)} p99 {ms(s.p99)}
        {s.ttftP50 !== undefined ? ` TTFT p50 ${ms(s.ttftP50)}` : ''} <Text dimColor>{s.requests} sent</Text>
      </Text>
      {s.failures.length ? (
        <Text wrap="truncate-end" color="yellow">
          {' '}
          {s.failures
            .slice(0, 4)
            .map(([k, n]) => `${k} ×${n}`)
            .join('  ')}
        </Text>
      ) : null}
    </Box>
  );
}

export function View({ feed }: { feed: () => ProgressFeed }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, []);
  const f = feed();
  const elapsed = ((Date.now() - f.startedAt) / 1000).toFixed(1);
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>aigw bench</Text>{' '}
        {f.scenarios.map((s, i) =>
          i < f.done ? (
            <Text key={s} color="green">
              ✓ {s}{' '}
            </Text>
          ) : s === f.current ? (
            <Text key={s} color="cyan">
              ▶ {s}{' '}
            </Text>
          ) : (
            <Text key={s} dimColor>
              {s}{' '}
            </Text>
          ),
        )}
        <Text dimColor>{elapsed}s</Text>
      </Text>
      {f.live && f.done < f.scenarios.length ? <LiveRow s={f.live()} /> : null}
      <Text dimColor wrap="truncate-end">
        {' '}
        {f.line}
      </Text>
    </Box>
  );
}

/** Starts the view on stderr; returns a function that removes it. */
export function showProgress(feed: () => ProgressFeed): () => void {
  const app = render(<View feed={feed} />, { stdout: process.stderr, patchConsole: false });
  return () => {
    app.rerender(<View feed={feed} />);
    app.unmount();
  };
}
