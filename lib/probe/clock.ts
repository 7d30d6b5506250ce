/** A clock that page and workers share: each thread's performance.now() has its own origin. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
