// A target measured alone: every other target's processes frozen (SIGSTOP) for the measurement, then thawed. They
// share the gateway core, and a gateway idle after its own run still spends 40–180 ms of CPU in bursts over the next
// ten seconds (keep-alive sockets timing out, V8's memory reducer), charged to whoever runs next.

/** Runs `fn` with every target but `t` paused; the upstream and direct (no process of its own here) are untouched. */
export async function alone(targets, t, fn) {
  const others = targets.filter((o) => o !== t && o.proc);
  for (const o of others) o.proc.pause();
  try {
    return await fn();
  } finally {
    for (const o of others) o.proc.resume();
  }
}
