/** The bench's live view on a terminal (Ink): scenario, elapsed time, the latest step; plain lines otherwise. */
import { Box, render, Text } from 'ink';
import { useEffect, useState } from 'react';

export interface ProgressFeed {
  scenarios: readonly string[];
  current: string;
  done: number;
  line: string;
  startedAt: number;
}

function View({ feed }: { feed: () => ProgressFeed }) {
  const [, tick] = useState(0);
  useEffect(() => {
    const t = setInterval(() => tick((n) => n + 1), 200);
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
