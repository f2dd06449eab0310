import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../../db/database.ts";
import type { Logger } from "../../lib/logger.ts";
import { errText } from "../access-token.ts";
import type { OpenApiClient } from "../openapi-client.ts";
import { createDelayMeter, localNow } from "./delay-meter.ts";
import { createFleetRateLimiter, type Slot } from "./fleet-rate-limiter.ts";
import { backoffMs, claimDue, countUnfinished, markDead, markRetry, markSent, type OutboxRow } from "./outbox-rows.ts";
import { type SendOutcome, sendOutboxRow } from "./send-outbox-row.ts";

export interface OutboxWorkerOptions {
  db: Pick<Database, "sql">;
  client: OpenApiClient;
  /** Per-API calls per second for the whole fleet (DINGTALK_QPS); every replica must use the same value. */
  qps: number;
  log: Logger;
  /** Rows claimed at once and sent concurrently (default 20). */
  batchSize?: number;
  /** A row is dead after this many attempts (default 8). */
  maxAttempts?: number;
  /** Idle poll period (default 500 ms). */
  pollMs?: number;
  /** How long a claim is exclusive; a crashed sender's rows are claimed again after it (default 60 s). */
  leaseMs?: number;
  /**
   * The least margin a rate-limit slot declares, ms (default 10). The margin is otherwise measured: the delay
   * from taking a slot to DingTalk's answer (see fleet-rate-limiter.ts). Raise it where the network has
   * jitter that recent calls do not show.
   */
  minRateMarginMs?: number;
  /** First retry delay, doubled per attempt (default 1000 ms: PLATFORM.md §8 says wait 1 s after throttling). */
  retryBaseMs?: number;
}

export interface OutboxWorker {
  /** Finishes the sends in flight, then stops claiming. */
  stop(): Promise<void>;
  /** Resolves once no row is PENDING or SENDING (for tests and benchmarks). */
  drain(): Promise<void>;
  /** Cuts the idle wait short: call after committing rows that should go out now (chat replies). */
  wake(): void;
}

/**
 * Sends what {@link enqueue} stored: claims due rows in the database, takes a fleet-wide rate-limit slot per
 * call, and records the outcome — SENT, PENDING again with backoff (throttling, 5xx, network), or DEAD.
 */
export function startOutboxWorker(opts: OutboxWorkerOptions): OutboxWorker {
  const { db, log } = opts;
  const batchSize = opts.batchSize ?? 20;
  const maxAttempts = opts.maxAttempts ?? 8;
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 60_000;
  const retryBaseMs = opts.retryBaseMs ?? 1000;
  const limiter = createFleetRateLimiter({
    sql: db.sql,
    qps: opts.qps,
    meter: createDelayMeter({ minMarginMs: opts.minRateMarginMs ?? 10 }),
  });
  let stopped = false;
  let idle: AbortController | null = null;

  /** Null when the lease ran out while waiting: the row is left for whoever claims it next. */
  const waitForSlot = async (row: OutboxRow, leaseEnd: number): Promise<Slot | null> => {
    if (row.kind !== "session.reply") await opts.client.ready(); // see OpenApiClient.ready
    let slot = await limiter.take(row.api);
    // Held up since (a stall, a slow query): the call could arrive later than the slot's margin allows, so
    // give the slot back and take anew. Nothing may be awaited between this check and the call.
    while (localNow() > slot.usableUntil) {
      limiter.release(slot).catch(() => undefined); // a failed release only wastes the slot
      slot = await limiter.take(row.api);
    }
    // Waited past the lease: another replica may own the row now; sending could duplicate a message.
    if (Date.now() < leaseEnd) return slot;
    limiter.release(slot).catch(() => undefined);
    return null;
  };

  const processRow = async (row: OutboxRow, leaseEnd: number): Promise<void> => {
    let outcome: SendOutcome;
    try {
      const slot = await waitForSlot(row, leaseEnd);
      if (!slot) return;
      const startedAt = localNow();
      outcome = await sendOutboxRow(opts.client, row);
      limiter.record(slot, startedAt, localNow(), outcome.answered);
    } catch (err) {
      // The token fetch or the rate limiter failed: nothing was sent, so trying again is safe.
      outcome = { kind: "retry", error: `before sending: ${errText(err)}`, answered: false };
    }
    if (outcome.kind === "sent") {
      log.debug({ id: String(row.id), key: row.idempotency_key }, "outbox: sent");
      return markSent(db.sql, row, outcome.result);
    }
    const rowLog = { id: String(row.id), key: row.idempotency_key, attempts: row.attempts, error: outcome.error };
    if (outcome.kind === "retry" && row.attempts < maxAttempts) {
      log.warn(rowLog, "DingTalk send failed; will retry");
      return markRetry(db.sql, row, backoffMs(row.attempts, retryBaseMs), outcome.error);
    }
    log.error(rowLog, "DingTalk send gave up: the row is DEAD (see GET /api/outbox?status=dead)");
    return markDead(db.sql, row, outcome.error);
  };

  const runBatch = async (): Promise<number> => {
    const claimedAt = Date.now();
    const rows = await claimDue(db.sql, batchSize, leaseMs);
    // Stop 1 s short of the lease so clock skew against the database cannot make two senders overlap.
    const leaseEnd = claimedAt + leaseMs - 1000;
    const results = await Promise.allSettled(rows.map((row) => processRow(row, leaseEnd)));
    for (const r of results) {
      // A row whose mark failed stays SENDING and is claimed again after its lease: nothing is lost.
      if (r.status === "rejected") log.error({ err: r.reason }, "outbox: could not record a send's outcome");
    }
    return rows.length;
  };

  const loop = (async () => {
    while (!stopped) {
      let claimed = 0;
      try {
        claimed = await runBatch();
      } catch (err) {
        log.error({ err }, "outbox: claiming rows failed; check the database connection");
      }
      if (claimed === 0 && !stopped) {
        idle = new AbortController();
        await sleep(pollMs, undefined, { signal: idle.signal }).catch(() => undefined);
        idle = null;
      }
    }
  })();

  return {
    async stop() {
      stopped = true;
      idle?.abort();
      await loop;
    },
    wake() {
      idle?.abort();
    },
    async drain() {
      while ((await countUnfinished(db.sql)) > 0) await sleep(Math.min(pollMs, 100));
    },
  };
}
