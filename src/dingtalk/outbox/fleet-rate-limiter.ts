import { setTimeout as sleep } from "node:timers/promises";
import type { SqlRunner } from "../../db/sql.ts";

/**
 * How the limiter cuts time: buckets of `widthMs`, at most `perBucket` calls in each.
 *
 * Why not "≤ qps per epoch second": DingTalk (and the emulator) count calls in a *sliding* one-second window, and
 * qps calls at the end of second k plus qps at the start of k+1 make 2 × qps in one window. Besides, a call
 * arrives some time after its slot was taken (event-loop stalls, GC, the network); calls delayed by a stall
 * arrive together. If that delay stays under `safetyMs`, the calls in any one-second window of arrivals took
 * their slots within 1000 + safetyMs ms, which overlaps at most ⌊(1000 + safetyMs) / widthMs⌋ + 1 buckets; so
 * `perBucket × that ≤ qps` keeps every sliding window within the limit. The price is throughput: at qps 20 and
 * safetyMs 200, 16 calls/s. The worker enforces the delay bound by not using a slot older than safetyMs / 4
 * (see {@link Slot}); the rest covers the trip to DingTalk and stalls on the way.
 */
export interface BucketPlan {
  widthMs: number;
  perBucket: number;
}

/** The plan with the most calls per second that keeps sliding windows ≤ qps for delays under `safetyMs`. */
export function bucketPlan(qps: number, safetyMs: number): BucketPlan {
  let best = { widthMs: 1000, perBucket: 1, perSecond: 0 };
  for (let k = 1; k <= 50; k++) {
    const widthMs = 1000 / k;
    const perBucket = Math.floor(qps / (Math.floor((1000 + safetyMs) / widthMs) + 1));
    if (perBucket >= 1 && perBucket * k > best.perSecond) best = { widthMs, perBucket, perSecond: perBucket * k };
  }
  // Too low a qps for the margin: one call per second, which a sliding window may see twice.
  return { widthMs: best.widthMs, perBucket: best.perBucket };
}

/** A slot to call an API once; using it after `usableUntil` (local ms) could break the limit. */
export interface Slot {
  usableUntil: number;
}

/** A rate limit shared by every replica through the `rate_window` table. */
export interface FleetRateLimiter {
  readonly plan: BucketPlan;
  /** Resolves when this process may make one call to `api`; waits for a free bucket if needed. */
  take(api: string): Promise<Slot>;
}

const CLEANUP_EVERY_MS = 10_000;
const KEEP_MS = 60_000;

/**
 * Takes slots with `INSERT … ON CONFLICT DO UPDATE … WHERE count < perBucket`: the row lock makes the count exact
 * across replicas, and the database clock (`clock_timestamp()`) is the one clock they all share. Inside one
 * process, callers for one API queue up so that only one of them polls the database while the bucket is full.
 */
export function createFleetRateLimiter(opts: { sql: SqlRunner; qps: number; safetyMs: number }): FleetRateLimiter {
  const plan = bucketPlan(opts.qps, opts.safetyMs);
  const queues = new Map<string, Promise<unknown>>();
  let lastCleanup = 0;

  const acquire = async (api: string): Promise<Slot> => {
    for (;;) {
      const rows = await opts.sql.query<{ ms: number; bucket: bigint; count: number | null }>(TAKE_SQL, [
        api,
        plan.widthMs,
        plan.perBucket,
      ]);
      const row = rows[0]!;
      maybeCleanup(row.bucket);
      if (row.count !== null) {
        // Database clock → local clock; the answer's trip back only makes the bound stricter.
        const bucketStartLocal = Number(row.bucket) * plan.widthMs - row.ms + Date.now();
        return { usableUntil: bucketStartLocal + opts.safetyMs / 4 };
      }
      // Full: wait for the next bucket (a little after its start, so the clocks need not agree to the ms).
      await sleep(Math.max(1, (Number(row.bucket) + 1) * plan.widthMs - row.ms + 1));
    }
  };

  const maybeCleanup = (bucket: bigint): void => {
    if (Date.now() - lastCleanup < CLEANUP_EVERY_MS) return;
    lastCleanup = Date.now();
    const before = bucket - BigInt(Math.ceil(KEEP_MS / plan.widthMs));
    // Fire and forget: a failed cleanup only leaves old rows for the next one.
    opts.sql.query("DELETE FROM rate_window WHERE second < $1", [before]).catch(() => undefined);
  };

  return {
    plan,
    take(api) {
      const turn = (queues.get(api) ?? Promise.resolve()).then(() => acquire(api));
      queues.set(
        api,
        turn.catch(() => undefined),
      );
      return turn;
    },
  };
}

// The data-modifying CTE returns nothing when the bucket is full; the outer SELECT still reports the clock.
const TAKE_SQL = `
WITH b AS (
  SELECT ms, floor(ms / $2::float8)::bigint AS bucket
  FROM (SELECT (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS ms) t
), ins AS (
  INSERT INTO rate_window (api, second, count)
  SELECT $1, bucket, 1 FROM b
  ON CONFLICT (api, second) DO UPDATE SET count = rate_window.count + 1 WHERE rate_window.count < $3
  RETURNING count
)
SELECT b.ms, b.bucket, (SELECT count FROM ins) AS count FROM b`;
