/**
 * A sub-millisecond wall clock for timestamps compared across processes (the caller's T1/T4 against a Go
 * function's time.Now()). `Date.now()` has only ms resolution, and `performance.timeOrigin + performance.now()`
 * ignores clock adjustments made after this process started (latency-methods.md §2.6), so the monotonic clock is
 * anchored to the wall clock at a Date.now() tick and re-anchored every few seconds.
 */
const REANCHOR_MS = 5_000

let anchor: { perf: number; wall: number } | undefined

/** Aligns to the next Date.now() tick: the moment the ms counter changes is the wall clock at that ms, ±µs. */
function reanchor(): void {
  const start = Date.now()
  let wall = start
  let perf = performance.now()
  // At most ~1 ms of spinning.
  while (wall === start) {
    perf = performance.now()
    wall = Date.now()
  }
  anchor = { perf, wall }
}

/** Wall clock now, ms since the epoch, with the monotonic clock's resolution. */
export function wallClockMs(perfNow: number = performance.now()): number {
  if (!anchor || perfNow - anchor.perf > REANCHOR_MS) reanchor()
  const a = anchor as { perf: number; wall: number }
  return a.wall + (perfNow - a.perf)
}
