import { describe, expect, it } from 'vitest';
import { adminConnectionCap, connectionCap, openFilesLimit } from '../../../src/gateway/connection-cap.js';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max processes             96362                96362                processes
Max open files            20000                524288               files
Max locked memory         8388608              8388608              bytes
`;

describe('the client connection cap', () => {
  it.each([
    ["half the soft limit, less the process's own and the admin listener's share", LIMITS, 9840],
    ['no cap when the limit is unlimited', LIMITS.replace('20000  ', 'unlimited'), undefined],
    ['no cap when the line is missing', 'Limit Soft Limit\n', undefined],
    ['at least one connection', LIMITS.replace('20000', '1    '), 1],
  ])('%s', (_name, text, cap) => {
    expect(connectionCap(openFilesLimit(text))).toBe(cap);
  });
});

describe('the admin listener connection cap', () => {
  it.each([
    ['a sixteenth of the soft limit', 1024, 64],
    ['at most 256 however many there are', 20_000, 256],
    ['256 when the limit is unknown (unlimited, not Linux)', undefined, 256],
    ['at least four', 20, 4],
  ])('%s', (_name, openFiles, cap) => {
    expect(adminConnectionCap(openFiles)).toBe(cap);
  });
});
