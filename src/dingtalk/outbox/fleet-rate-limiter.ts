import { setTimeout as sleep } from "node:timers/promises";
import type { SqlRunner } from "../../db/sql.ts";
import { type ClockOffset, createClockOffset, createDelayMeter, type DelayMeter, localNow } from "./delay-meter.ts";

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

/** A slot for one call. Start it between `startAt` and `usableUntil` (local ms, {@link localNow}), or release it. */
export interface Slot {
  api: string;
  /** Surely not before the slot on the database clock (a call must not arrive before its slot). */
  startAt: number;
  /** Surely not after the slot: the delays the margin covers are measured from here. */
  from: number;
  usableUntil: number;
  /** When the slot stops counting (database ms); identifies it for {@link FleetRateLimiter.release}. */
  until: number;
}

/** A rate limit shared by every replica through the `rate_slots` table. */
export interface FleetRateLimiter {
  /** Resolves at the start of a slot for one call to `api`, after waiting for the fleet-wide window if needed. */
  take(api: string): Promise<Slot>;
  /** The call for `slot` will not be made (held up too long, or the lease ran out): it stops counting. */
  release(slot: Slot): Promise<void>;
  /**
   * Reports when the call for `slot` started and when it ended ({@link localNow}). `answered`: DingTalk's
   * answer came back (any HTTP status), so the call has arrived and its slot can end a second after `endedAt`.
   * A network failure is not an answer: the request may still be on its way.
   */
  record(slot: Slot, startedAt: number, endedAt: number, answered: boolean): void;
}

/** How far ahead slots are handed out: enough to queue a batch, short enough that a crash wastes little. */
const AHEAD_MS = 1000;
/** Answers of an API nobody here is taking slots for are applied after this long, a few at a time. */
const FLUSH_AFTER_MS = 20;

/**
 * Takes slots with one `INSERT … ON CONFLICT DO UPDATE` on the API's row: the row lock serialises replicas, the
 * update sees the latest committed state, and `clock_timestamp()` is the one clock they share (the local clock
 * is related to it by {@link ClockOffset}). Expired slots are pruned by every take, so the table holds one short
 * row per API. Inside one process, takers for an API queue up, so one query at a time asks for the next slot.
 */
export function createFleetRateLimiter(opts: { sql: SqlRunner; qps: number; meter?: DelayMeter }): FleetRateLimiter {
  const meter = opts.meter ?? createDelayMeter();
  const offset = createClockOffset();
  // A count per window: DINGTALK_QPS may be fractional, a window holds whole calls (at least one).
  const qps = Math.max(1, Math.floor(opts.qps));
  const queues = new Map<string, Promise<unknown>>();
  /** Takers of each API in this process that have not got their slot yet. */
  const waiting = new Map<string, number>();
  /** Answers not yet applied to the API's row: the next take applies them, or {@link flushSoon}. */
  const shrinks = new Map<string, Shrink[]>();
  const flushTimers = new Map<string, NodeJS.Timeout>();

  /** Pending shrinks of `api` still worth applying (an end already past counts for nothing anyway). */
  const pendingShrinks = (api: string, dbNow: number): Shrink[] => {
    const list = (shrinks.get(api) ?? []).filter((x) => x.from > dbNow);
    shrinks.set(api, list);
    return list;
  };
  const forget = (api: string, applied: readonly Shrink[]) => {
    shrinks.set(
      api,
      (shrinks.get(api) ?? []).filter((x) => !applied.includes(x)),
    );
  };

  const reserve = async (api: string): Promise<Slot> => {
    for (;;) {
      const { preBudgetMs, marginMs } = meter.budget();
      const req = { qps, marginMs, aheadMs: AHEAD_MS };
      const sentAt = localNow();
      const mine = pendingShrinks(api, sentAt + offset.low());
      const rows = await opts.sql.query<TakeRow>(TAKE_SQL, [
        api,
        qps,
        marginMs,
        spacingMs(req),
        AHEAD_MS,
        mine.map((x) => x.from),
        mine.map((x) => x.to),
      ]);
      const row = rows[0]!;
      const now = Number(row.now);
      offset.observe(now, sentAt, localNow());
      if (row.at !== null && row.until !== null) {
        forget(api, mine); // applied with the grant
        const at = Number(row.at);
        const from = at - offset.high();
        return { api, startAt: at - offset.low(), from, usableUntil: from + preBudgetMs, until: Number(row.until) };
      }
      // Refused: the row is unchanged, so the shrinks stay pending for the next attempt.
      const state = row.last_at === null ? null : { lastAt: Number(row.last_at), live: (row.live ?? []).map(Number) };
      const { at } = decideGrant(state, now, req, mine);
      await sleep(Math.max(1, Math.min(1000, at - now - AHEAD_MS + 1)));
    }
  };

  /**
   * Applies the pending shrinks of an API no taker of this process is waiting for: another replica may be.
   * A failure only leaves slots longer than they need be.
   */
  const flushSoon = (api: string) => {
    if (flushTimers.has(api)) return;
    const timer = setTimeout(() => {
      flushTimers.delete(api);
      if ((waiting.get(api) ?? 0) > 0) return; // the waiting taker applies them
      const mine = pendingShrinks(api, localNow() + offset.low());
      if (mine.length === 0) return;
      forget(api, mine);
      const froms = mine.map((x) => x.from);
      opts.sql.query(SHRINK_SQL, [api, froms, mine.map((x) => x.to)]).catch(() => undefined);
    }, FLUSH_AFTER_MS);
    timer.unref();
    flushTimers.set(api, timer);
  };

  return {
    async take(api) {
      waiting.set(api, (waiting.get(api) ?? 0) + 1);
      const turn = (queues.get(api) ?? Promise.resolve()).then(() => reserve(api));
      queues.set(
        api,
        turn.catch(() => undefined),
      );
      const slot = await turn.finally(() => {
        const left = (waiting.get(api) ?? 1) - 1;
        waiting.set(api, left);
        // Answers recorded while the last taker's query was on its way were not in it.
        if (left === 0 && (shrinks.get(api)?.length ?? 0) > 0) flushSoon(api);
      });
      const wait = slot.startAt - localNow();
      if (wait > 0) await sleep(Math.ceil(wait));
      return slot;
    },
    async release(slot) {
      // Counted as just over its budget, however late: the budget rises when more than a tenth of the slots are
      // given back, not because of one long stall.
      meter.observePre(slot.usableUntil - slot.from + 1);
      await opts.sql.query(RELEASE_SQL, [slot.api, slot.until]);
    },
    record(slot, startedAt, endedAt, answered) {
      meter.observePre(startedAt - slot.from);
      meter.observeNet(endedAt - startedAt);
      if (!answered) return;
      // The answer came back by endedAt, so the call arrived by then: on the database clock, surely by
      // endedAt + high() (a microsecond on top against float rounding).
      const to = endedAt + offset.high() + 1000 + 0.001;
      if (to >= slot.until) return;
      shrinks.set(slot.api, [...(shrinks.get(slot.api) ?? []), { from: slot.until, to }]);
      if ((waiting.get(slot.api) ?? 0) === 0) flushSoon(slot.api);
    },
  };
}

interface TakeRow {
  now: number;
  at: number | null;
  until: number | null;
  last_at: number | null;
  live: number[] | null;
}

/** `applyShrinks` in SQL: the k-th shrink from a value replaces the k-th end equal to it. */
const shrunk = (live: string, from: string, to: string) => `ARRAY(
  SELECT COALESCE(x.n, l.u)
  FROM (SELECT u, row_number() OVER (PARTITION BY u) AS k FROM unnest(${live}) u) l
  LEFT JOIN (SELECT o, n, row_number() OVER (PARTITION BY o) AS k
             FROM unnest(${from}::float8[], ${to}::float8[]) t(o, n) WHERE n < o) x ON x.o = l.u AND x.k = l.k)`;

// $1 api, $2 qps, $3 margin ms, $4 spacing ms, $5 ahead ms, $6/$7 shrinks (from, to); mirrors decideGrant.
// Refused (no update, shrinks not applied) when the slot is too far ahead: then the outer SELECT reports the
// state as of the statement's start, for the wait.
const LIVE_NOW = shrunk("s.live", "$6", "$7");
const LIVE = `ARRAY(SELECT u FROM unnest(${LIVE_NOW}) u WHERE u > EXCLUDED.last_at ORDER BY u)`;
const AT = `greatest(EXCLUDED.last_at, s.last_at + $4::float8,
  (SELECT u + 0.001 FROM unnest(${LIVE_NOW}) u WHERE u > EXCLUDED.last_at ORDER BY u DESC OFFSET $2::int - 1 LIMIT 1))`;
//
// synchronous_commit is off for this one statement's transaction (set_config(…, true) lasts until its commit): a
// take is on the critical path of every send and the takes of one API go one at a time, so waiting for a WAL
// flush per take (tens of ms on a busy disk) would cap the fleet below the limit. The row is only a short-lived
// schedule: what a server crash could lose is the last few ms of slots, never a message. Other sessions see the
// update at once either way.
const TAKE_SQL = `
WITH c AS (
  SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms, set_config('synchronous_commit', 'off', true)
),
t AS (
  INSERT INTO rate_slots AS s (api, last_at, live)
  SELECT $1, c.ms, ARRAY[c.ms + 1000 + $3::float8] FROM c
  ON CONFLICT (api) DO UPDATE SET last_at = ${AT}, live = ${LIVE} || ARRAY[${AT} + 1000 + $3::float8]
  WHERE ${AT} <= EXCLUDED.last_at + $5::float8
  RETURNING s.last_at AS at, s.live[cardinality(s.live)] AS until
)
SELECT c.ms AS now, t.at, t.until, r.last_at, r.live
FROM c LEFT JOIN t ON true LEFT JOIN rate_slots r ON r.api = $1`;

/** `applyShrinks` as a query ($1 ends, $2/$3 shrinks), for the test that the two agree. */
export const APPLY_SHRINKS_SQL = `SELECT ${shrunk("$1::float8[]", "$2", "$3")} AS live`;

// $1 api, $2/$3 shrinks (from, to), outside a take.
const SHRINK_SQL = `UPDATE rate_slots SET live = ${shrunk("live", "$2", "$3")} WHERE api = $1`;

// Removes one slot with that end (two equal ends are interchangeable).
const RELEASE_SQL = `
UPDATE rate_slots SET live = live[:array_position(live, $2::float8) - 1] || live[array_position(live, $2::float8) + 1:]
WHERE api = $1 AND array_position(live, $2::float8) IS NOT NULL`;
