/**
 * A workload file's requests as --api anthropic sends them, read off the wire: a system message given as parts is
 * sent as its text, not as "[object Object]".
 */
import { describe, expect, it } from 'vitest';
import { runLoad } from '../../../src/bench/driver.js';
import { fileWorkload, parseWorkload } from '../../../src/bench/workload.js';
import { anthropicTextMessage, useUpstream } from '../../helpers/upstream.js';

describe('a workload sent in Anthropic Messages', () => {
  it.each([
    [
      'as parts',
      [
        { type: 'text', text: 'Be ' },
        { type: 'text', text: 'brief.' },
      ],
      'Be brief.',
    ],
    ['as a string', 'Be brief.', 'Be brief.'],
  ])('sends a system message given %s as its text', async (_name, content, want) => {
    const { url, seen } = await useUpstream((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(anthropicTextMessage('ok', { input_tokens: 3, output_tokens: 1 }));
    });
    const line = JSON.stringify({
      messages: [
        { role: 'system', content },
        { role: 'user', content: 'hi' },
      ],
      max_tokens: 4,
    });
    const lines = parseWorkload(`${line}\n`, 'w.jsonl');
    expect(lines.ok).toBe(true);
    if (!lines.ok) return;
    const r = await runLoad({
      url,
      api: 'anthropic',
      headers: {},
      source: fileWorkload(lines.value, 'w.jsonl').source('claude'),
      stream: false,
      durationMs: 5000,
      connections: 1,
      maxRequests: 1,
    });
    expect(r.records).toHaveLength(1);
    const sent = JSON.parse(seen[0]!.body) as { system?: unknown; messages: unknown[] };
    expect(sent.system).toBe(want);
    expect(sent.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });
});
