/**
 * Hop-by-hop both ways, with hostile spellings: what a backend's Connection names never reaches the client (framing
 * excepted), and a client's header never shadows one the profile sets for the backend.
 */
import type { IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { downstreamHeaders, upstreamHeaders } from '../../../src/relay/headers.js';

const noScrub = (t: string) => t;

describe("a backend's Connection header", () => {
  it('drops what it names however listed — repeated, cased, spaced, with underscores or empty tokens — and keeps framing', () => {
    const out = downstreamHeaders(
      {
        // Repeated, as a server may send it (node:http joins most repeated headers; a raw list is an array).
        connection: [' Keep-Alive ,, X-Hop-One', 'x_hop_two,content-type, CONTENT-ENCODING'],
        'x-hop-one': 'a',
        'x-hop-two': 'b',
        'content-type': 'application/json',
        'content-encoding': 'identity',
        'x-kept': 'c',
      } as unknown as IncomingHttpHeaders,
      {},
      noScrub,
    );
    expect(out).toEqual({ 'content-type': 'application/json', 'content-encoding': 'identity', 'x-kept': 'c' });
  });

  it('never throws and never lets a named header through, whatever the list holds', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 12 }), { maxLength: 8 }), (tokens) => {
        const named = tokens.map((t) => t.trim().toLowerCase()).filter((t) => /^[a-z0-9-]+$/.test(t) && t !== 'content-type');
        const upstream: Record<string, string> = { connection: tokens.join(','), 'content-type': 'application/json' };
        for (const n of named) upstream[n] = 'v';
        const out = downstreamHeaders(upstream, {}, noScrub);
        for (const n of named) if (n !== 'content-encoding') expect(out[n], n).toBeUndefined();
        expect(out['content-type']).toBe('application/json');
      }),
    );
  });
});

describe("a client's header of a name the backend's headers set", () => {
  it('is not sent beside the profile’s, however spelt; other client headers pass', () => {
    const raw = ['X-Extra', 'client', 'x_extra', 'client-2', 'X-EXTRA', 'client-3', 'x-session', 'kept'];
    const out = upstreamHeaders(raw, ['x-extra', 'configured'], undefined, 'req-1');
    const pairs = [];
    for (let i = 0; i < out.length; i += 2) pairs.push([out[i], out[i + 1]]);
    expect(pairs.filter(([k]) => k!.replace(/_/g, '-') === 'x-extra')).toEqual([['x-extra', 'configured']]);
    expect(pairs).toContainEqual(['x-session', 'kept']);
  });
});
