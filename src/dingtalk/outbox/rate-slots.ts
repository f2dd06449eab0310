/**
 * The fleet's shared state for one API (the `rate_slots` row): the time of the latest slot handed out and, for
 * each call still counting against the limit, when it stops counting. Times are database-clock ms.
 *
 * Why this keeps every sliding second of *arrivals* within qps: a slot at g is used by a call that arrives at
 * DingTalk at some a with g ≤ a ≤ g + m, where m is the margin its taker declared (the longest delay it expects
 * from g to DingTalk's clock stamp; the worker starts the call no earlier than g and gives the slot back if it
 * could not start in time). The slot counts until g + 1000 + m. Take qps + 1 calls arriving within one window
 * [t, t + 1000), and let X be the one whose slot was handed out last. For every other call i,
 * g_X ≤ a_X < t + 1000 ≤ a_i + 1000 ≤ g_i + m_i + 1000, so all qps of them still counted at g_X, and X got no
 * slot at g_X. Each slot carries its own margin, so replicas with different measured delays combine correctly,
 * and the clock reading a taker made before waiting for the row lock can only make the check stricter.
 *
 * Shrinking: once a call's answer is back at local time r, it surely arrived at or before r, so its slot need only
 * count until r + 1000 (on the database clock, through the offset's upper bound). The worker reports answers
 * ({@link FleetRateLimiter.record}) and the next take applies them ({@link Shrink}); the proof above holds with
 * a_i + 1000 ≤ the slot's end, which a shrunk end still satisfies. So the margin m, which must cover the worst
 * delay a call could have, only sets the end of calls still unanswered; the fleet's throughput follows the delays
 * calls actually had: qps per 1000 + (slot → answer) ms. The margin is still measured ({@link DelayMeter}).
 *
 * Slots are handed out ahead of time (up to `aheadMs`): the schedule, not the moment a taker happened to ask,
 * sets the next slot, so timer and query latency do not add up into lost throughput.
 */
export interface RateState {
  lastAt: number;
  live: number[];
}

export interface GrantRequest {
  qps: number;
  /** The taker's margin, ms (see {@link RateState}). */
  marginMs: number;
  /** How far ahead of the database clock a slot may be handed out, ms. */
  aheadMs: number;
}

/** A slot's end brought forward to `to`, as its answer allows (see {@link RateState}); `to` < `from`. */
export interface Shrink {
  from: number;
  to: number;
}

/**
 * The least gap between slots: half the average gap the window allows. Calls are spread over the second rather
 * than sent in one burst, yet after the process was held up (a stall, a slow query: its slots given back, see
 * {@link FleetRateLimiter.release}) the next calls can go at twice the average rate until the window is full
 * again, so the lost time is made up. At 0.9 × the average, a 150 ms stall every second cost 11 % of
 * throughput (bench:fanout --stall-ms 150: 1.11 × the floor); at half, none (1.00).
 */
export function spacingMs(req: Pick<GrantRequest, "qps">): number {
  return (0.5 * 1000) / req.qps;
}

/**
 * Applies shrinks to the slots' ends: each shrink to one end equal to its `from`. The ends are a multiset (two
 * slots may end at the same time); whichever of two equal ends a shrink replaces, the multiset is the same, so
 * replacing one occurrence per shrink is exact. A shrink that would not shorten is ignored.
 */
export function applyShrinks(live: readonly number[], shrinks: readonly Shrink[]): number[] {
  const out = [...live];
  const done = new Set<number>();
  for (const { from, to } of shrinks) {
    if (!(to < from)) continue;
    const i = out.findIndex((u, k) => u === from && !done.has(k));
    if (i < 0) continue;
    out[i] = to;
    done.add(i);
  }
  return out;
}

/**
 * The rule TAKE_SQL applies under the row lock, in plain TypeScript (the SQL is the one that counts; this twin
 * tells a refused taker how long to wait, and is what the unit tests exercise). After applying `shrinks`, the
 * slot is the earliest time that is not before `now`, a spacing after the latest slot, and when fewer than qps
 * slots still count; it is handed out if it is at most `aheadMs` away.
 */
export function decideGrant(
  state: RateState | null,
  now: number,
  req: GrantRequest,
  shrinks: readonly Shrink[] = [],
): { granted: boolean; at: number; state: RateState } {
  if (state === null) return { granted: true, at: now, state: { lastAt: now, live: [now + 1000 + req.marginMs] } };
  const live = applyShrinks(state.live, shrinks)
    .filter((u) => u > now)
    .sort((x, y) => x - y);
  // A microsecond past the qps-th latest end, so that float rounding cannot put both in one window.
  const free = live.length >= req.qps ? live[live.length - req.qps]! + 0.001 : now;
  const at = Math.max(now, state.lastAt + spacingMs(req), free);
  const granted = at <= now + req.aheadMs;
  return granted
    ? { granted, at, state: { lastAt: at, live: [...live, at + 1000 + req.marginMs] } }
    : { granted, at, state };
}
