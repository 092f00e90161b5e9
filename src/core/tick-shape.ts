/**
 * Keeps process.nextTick fast for the life of a server: one of its tick objects is held, so the object shape (map)
 * every tick object is built with never dies.
 *
 * node:internal/process/task_queues builds each tick object with a literal whose first keys are computed
 * (`{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`), so no boilerplate holds its shape:
 * only the tick objects alive do, and a tick lives for one turn of the loop. A full collection while none is queued
 * (a quiet gateway: idle-memory.ts's, V8's memory reducer's) frees the shapes, the next tick builds new ones, and
 * nextTick's inline caches count each as another receiver. After four they go megamorphic for good: from then on
 * every tick object is built through V8's runtime. Measured on Node 20, 22 and 24 (ten rounds of ticks, each
 * followed by full collections with nothing queued, then 10^6 ticks): 420–850 ns a tick against 65–150 ns with
 * the shape held. In aigw under bench:overhead (warm-up loads, quiet gaps, then 1,500 paced streams) nextTick was
 * 8 % of the gateway's busy time against the bare undici proxy's 1.4 %: three ticks per relayed chunk.
 *
 * The tick object is taken from nextTick itself (an init hook on for one synchronous call), not rebuilt here: the
 * shape is the one this Node's literal makes, whatever its keys and their order.
 */
import { createHook } from 'node:async_hooks';

/** Held for its shape, never read. */
const held: { tick?: object } = {};
const hook = createHook({
  init(_id, type, _trigger, resource) {
    if (type === 'TickObject') held.tick = resource;
  },
});

/**
 * Takes a fresh tick object to hold (the one held before is let go). Call at start, and again before a full
 * collection of one's own: a shape V8 replaced since (a field generalized) would otherwise be the one kept.
 */
export function holdTickShape(): void {
  hook.enable();
  try {
    process.nextTick(noop);
  } finally {
    hook.disable();
  }
}

function noop(): void {}
