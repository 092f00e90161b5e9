/**
 * The TUI in a terminal narrower than 80 columns. The frame was laid out 80 wide whatever the terminal said: the
 * terminal wrapped each line in two, Ink erased the frame by its own line count, and every redraw (four a second)
 * left the frame before it in the scrollback — in a 40-column tmux pane, 679 lines of scrollback in 7 s, the header
 * scrolled away and half a frame on screen.
 */
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually.js';
import { App } from '../../../src/tui/app.js';
import type { TuiState } from '../../../src/tui/model.js';
import { fixture } from '../../helpers/tui.js';

/** A recorded feed, as a live connection shows it. */
const connected = (name: string): TuiState => ({ ...fixture(name), connected: true });

/** The frame `App` draws (its width left to the terminal) in a terminal `columns` wide, as Ink reads it from stdout. */
function frameIn(columns: number, name: string): string[] {
  const r = render(<App initial={connected(name)} />);
  Object.defineProperty(r.stdout, 'columns', { get: () => columns });
  r.rerender(<App initial={connected(name)} />);
  const text = r.lastFrame() ?? '';
  r.unmount();
  return text.split('\n');
}

describe('the TUI in a narrow terminal', () => {
  for (const name of ['canary-split', 'tpm-limited-tenant', 'truncation-burst', 'refusal-flood'])
    it(`draws ${name} no wider than the terminal, each panel's title on its one row`, () => {
      const wide = frameIn(120, name);
      for (const columns of [60, 40, 24]) {
        const lines = frameIn(columns, name);
        for (const line of lines) expect([...line].length, `${columns} columns: ${line}`).toBeLessThanOrEqual(columns);
        // As many rows as in a wide terminal: layout.ts shares the rows out counting one per title and per header.
        expect(lines.length, `${columns} columns`).toBe(wide.length);
        expect(lines[0]).toContain('aigw top');
      }
    });
});

describe('the TUI when the terminal is resized', () => {
  it('draws the next frame at the new width even when nothing else changes (paused, or no feed)', async () => {
    let columns = 120;
    const r = render(<App initial={connected('canary-split')} />);
    Object.defineProperty(r.stdout, 'columns', { get: () => columns });
    r.rerender(<App initial={connected('canary-split')} />);
    expect(Math.max(...(r.lastFrame() ?? '').split('\n').map((l) => [...l].length))).toBeGreaterThan(100);
    // Narrower, same height: the height alone was watched, so the frame stayed 120 wide until some figure changed —
    // never while paused — and the terminal wrapped every line of every redraw.
    columns = 50;
    r.stdout.emit('resize');
    await eventually(() => (r.lastFrame() ?? '').split('\n').every((l) => [...l].length <= 50), 2000);
    r.unmount();
  });
});

describe('the TUI in a terminal that says no size', () => {
  it('draws at the default width when the terminal says 0 columns (its window size not set yet)', () => {
    const lines = frameIn(0, 'canary-split');
    expect(lines[0]).toContain('aigw top');
    expect(lines.join('\n')).toMatch(/vllm-llama-v1\s+1900 /);
  });
});
