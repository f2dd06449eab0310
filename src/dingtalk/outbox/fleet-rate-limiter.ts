import { setTimeout as sleep } from "node:timers/promises";
import type { SqlRunner } from "../../db/sql.ts";
import { type ClockOffset, createClockOffset, createDelayMeter, type DelayMeter, localNow } from "./delay-meter.ts";
import { decideGrant, type Shrink, spacingMs } from "./rate-slots.ts";
import { RELEASE_SQL, SHRINK_SQL, TAKE_SQL, type TakeRow } from "./rate-slots-sql.ts";
/** A slot for one call. Start it between `startAt` and `usableUntil` (local ms, {@link localNow}), or release it. */
export interface Slot {
  api: string;
  /** The slot on the database clock (ms): the call must not arrive before it. */
  at: number;
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
        return { api, at, startAt: at - offset.low(), from, usableUntil: from + preBudgetMs, until: Number(row.until) };
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
