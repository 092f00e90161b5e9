// One timing of the memory rate-limit store (bench-micro.js), in a fresh process: admit + settle of a tenant request, as the
// gateway makes them (a lease per request, tokens reserved then settled lower). Prints ns per admit+settle.
// Usage: node store-loop.js BUILD_DIR OPS SPECS   (SPECS: 1 = tenant-wide limits, 2 = tenant and per-model)
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dir, opsArg, specsArg] = process.argv.slice(2);
const { MemoryLimitStore } = await import(pathToFileURL(join(dir, 'dist/tenants/limits/memory-store.js')).href);
const store = new MemoryLimitStore(60_000);
const limits = { tpm: 1e12, rpm: 1e9, concurrency: 1e6 };
const specs = Object.freeze(
  [
    { key: 'bench', ...limits },
    { key: 'bench/model', ...limits },
  ]
    .slice(0, Number(specsArg))
    .map((s) => Object.freeze(s)),
);
let n = 0;
function one() {
  const o = store.admit({ specs, tokens: 40, lease: `lease-${n++}`, microUsd: 0 });
  if (!o.ok) throw new Error(`refused: ${o.kind}`);
  store.settle(o.reservation, 25);
}
const ops = Number(opsArg);
for (let i = 0; i < ops / 2; i++) one(); // warm: optimised before it is timed
const t0 = process.hrtime.bigint();
for (let i = 0; i < ops; i++) one();
console.log(Number(process.hrtime.bigint() - t0) / ops);
