/**
 * undici's Pool, alone. `import { Pool } from 'undici'` runs undici's index, which loads all of it — fetch,
 * WebSocket, the cache, the mock agents, every interceptor: 4.8 MiB of heap a serving gateway carries for its
 * life (a live heap V8 then sizes the old generation by), against 1.7 MiB for the pool and what it needs. undici
 * has no `exports` map, so its own module is reachable; test/unit/upstream/undici-pool.test.ts holds it to be the
 * very class undici exports, so an upgrade that moves it fails a test rather than a gateway.
 */
import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';

export const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool;
export type Pool = UndiciPool;
