import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../../db/database.ts";
import type { Logger } from "../../lib/logger.ts";
import { errText } from "../access-token.ts";
import type { OpenApiClient, RequestGate } from "../openapi-client.ts";
import { createDelayMeter, localNow } from "./delay-meter.ts";
import { KIND_API } from "./enqueue.ts";
import { createFleetRateLimiter, type Slot } from "./fleet-rate-limiter.ts";
import {
  attemptsWithin,
  backoffMs,
  claimDue,
  countUnfinished,
  findTodoCreate,
  markDead,
  markRetry,
  markSent,
  markWait,
  maxBackoffMs,
  type OutboxRow,
  rememberMedia,
} from "./outbox-rows.ts";
import { NotSent, type OutboxLookup, type SendOutcome, sendOutboxRow } from "./send-outbox-row.ts";

export interface OutboxWorkerOptions {
  db: Pick<Database, "sql">;
  client: OpenApiClient;
  /** Per-API calls per second for the whole fleet (DINGTALK_QPS); every replica must use the same value. */
  qps: number;
  log: Logger;
  /** Rows claimed per API at once (default 20); up to twice as many are in flight, waiting for slots. */
  batchSize?: number;
  /** A row is dead after this many attempts (default: as many as span `retryHorizonMs`, see attemptsWithin). */
  maxAttempts?: number;
  /** How long a failing row is retried before it is DEAD (default 24 h: OUTBOX_RETRY_HOURS). */
  retryHorizonMs?: number;
  /** Idle poll period (default 500 ms). */
  pollMs?: number;
  /** How long a claim is exclusive; a crashed sender's rows are claimed again after it (default 60 s). */
  leaseMs?: number;
  /**
   * The least margin a rate-limit slot declares, ms (default 1000, the most the delay meter ever declares). The
   * margin is otherwise measured: the delay from taking a slot to DingTalk's answer (see fleet-rate-limiter.ts).
   * The floor covers a stall longer than any recent call showed (a process descheduled on a busy host, a GC
   * pause, a blocked log write): with 10 ms and then 250 ms, such a call could land after its slot had already
   * expired, and 21 calls fell in one sliding second in two CI runs on two busy cores. It costs no throughput: an
   * answered call's slot ends a second after the answer whatever the margin, so the floor only holds back the
   * next slot while a call is still unanswered (the two-process test's 1,000 cards take the same time).
   */
  minRateMarginMs?: number;
  /** First retry delay, doubled per attempt (default 1000 ms: docs/dingtalk.md §8 says wait 1 s after throttling). */
  retryBaseMs?: number;
}

export interface OutboxWorker {
  /** Stops claiming, then finishes the sends in flight. */
  stop(): Promise<void>;
  /** Resolves once no row is PENDING or SENDING (for tests and benchmarks). */
  drain(): Promise<void>;
  /** Cuts the idle wait short: call after committing rows that should go out now (chat replies). */
  wake(): void;
}

/**
 * Sends what {@link enqueue} stored: claims due rows in the database, per API, takes a fleet-wide rate-limit
 * slot per HTTP request, and records the outcome — SENT, PENDING again with backoff (throttling, 5xx, network),
 * or DEAD.
 */
export function startOutboxWorker(opts: OutboxWorkerOptions): OutboxWorker {
  const { db, log } = opts;
  const batchSize = opts.batchSize ?? 20;
  const retryBaseMs = opts.retryBaseMs ?? 1000;
  const maxAttempts = opts.maxAttempts ?? attemptsWithin(opts.retryHorizonMs ?? 24 * 3_600_000, retryBaseMs);
  const pollMs = opts.pollMs ?? 500;
  const leaseMs = opts.leaseMs ?? 60_000;
  const limiter = createFleetRateLimiter({
    sql: db.sql,
    qps: opts.qps,
    meter: createDelayMeter({ minMarginMs: opts.minRateMarginMs ?? 1000 }),
  });
  const lookup: OutboxLookup = {
    todoCreate: (key) => findTodoCreate(db.sql, key),
    rememberMedia: (row, mediaId) => rememberMedia(db.sql, row, mediaId),
  };
  let stopped = false;

  /** Null when the lease ran out while waiting: the row is left for whoever claims it next. */
  const waitForSlot = async (api: string, leaseEnd: number): Promise<Slot | null> => {
    let slot = await limiter.take(api);
    // Held up since (a stall, a slow query): the call could arrive later than the slot's margin allows, so
    // give the slot back and take anew. Nothing may be awaited between this check and the call.
    while (localNow() > slot.usableUntil) {
      limiter.release(slot).catch(() => undefined); // a failed release only wastes the slot
      slot = await limiter.take(api);
    }
    // Waited past the lease: another replica may own the row now; sending could duplicate a message.
    if (Date.now() < leaseEnd) return slot;
    limiter.release(slot).catch(() => undefined);
    return null;
  };

  /**
   * Lets each HTTP request of a row's call out at a fleet-wide rate-limit slot (a call whose token was rejected
   * makes a second request, with a slot of its own), and reports when DingTalk answered.
   */
  const gateFor =
    (leaseEnd: number): RequestGate =>
    async (api, request) => {
      let slot: Slot | null;
      try {
        slot = await waitForSlot(api, leaseEnd);
      } catch (err) {
        throw new NotSent(`rate limiter: ${errText(err)}`, false);
      }
      if (!slot) throw new NotSent("the claim's lease ran out while waiting for a rate-limit slot", true);
      const startedAt = localNow();
      const sentAt = Date.now();
      let answered = false;
      try {
        const answer = await request();
        answered = true;
        return answer;
      } finally {
        // No answer (a network failure): the request may still be on its way, so its slot keeps its margin.
        limiter.record(slot, startedAt, localNow(), answered);
        // Wall-clock times, like DingTalk's stamps and the database clock: a throttle test that sees more calls
        // in one second than the limit can tell from these which call went out long after its slot.
        log.debug(
          { api, slotAt: slot.at, slotUntil: slot.until, sentAt, endedAt: Date.now(), answered },
          "outbox: call",
        );
      }
    };

  const processRow = async (row: OutboxRow, leaseEnd: number): Promise<void> => {
    let outcome: SendOutcome;
    try {
      outcome = await sendOutboxRow(opts.client, row, gateFor(leaseEnd), lookup);
    } catch (err) {
      if (err instanceof NotSent && err.leaseLost) return;
      // The token fetch or the rate limiter failed: nothing (more) was sent, so trying again is safe.
      outcome = { kind: "retry", error: `before sending: ${errText(err)}` };
    }
    if (outcome.kind === "sent") {
      log.debug({ id: String(row.id), key: row.idempotency_key }, "outbox: sent");
      return markSent(db.sql, row, outcome.result);
    }
    if (outcome.kind === "skipped") {
      log.warn({ id: String(row.id), key: row.idempotency_key, reason: outcome.reason }, "outbox: nothing to send");
      return markSent(db.sql, row, { skipped: outcome.reason });
    }
    if (outcome.kind === "wait") {
      log.debug({ id: String(row.id), key: row.idempotency_key, reason: outcome.error }, "outbox: waiting");
      return markWait(
        db.sql,
        row,
        Math.min(Math.max(outcome.afterMs, retryBaseMs), maxBackoffMs(retryBaseMs)),
        outcome.error,
      );
    }
    const rowLog = { id: String(row.id), key: row.idempotency_key, attempts: row.attempts, error: outcome.error };
    if (outcome.kind === "retry" && row.attempts < maxAttempts) {
      log.warn(rowLog, "DingTalk send failed; will retry");
      return markRetry(db.sql, row, backoffMs(row.attempts, retryBaseMs), outcome.error);
    }
    log.error(rowLog, "DingTalk send gave up: the row is DEAD (see GET /api/outbox?status=dead)");
    return markDead(db.sql, row, outcome.error);
  };

  // Rows claimed and not yet finished, per API: each API is claimed for on its own (see claimDue), up to `cap`
  // rows, refilled when half are done, so the next rows are waiting for their slots before the last ones go
  // out: no pause between batches, whatever a claim or a mark costs (a WAL flush on a busy disk).
  const cap = 2 * batchSize;
  const apis = [...new Set(Object.values(KIND_API))];
  const inFlight = new Map<string, number>(apis.map((api) => [api, 0]));
  const running = new Set<Promise<void>>();
  let nudged = false;
  let idle: AbortController | null = null;
  /** Claim again now rather than after the poll period. */
  const nudge = () => {
    nudged = true;
    idle?.abort();
  };

  const dispatch = (row: OutboxRow, leaseEnd: number) => {
    const api = row.api; // as claimed: a reply past its webhook is now a batchSend
    inFlight.set(api, (inFlight.get(api) ?? 0) + 1);
    const done = processRow(row, leaseEnd)
      // A row whose mark failed stays SENDING and is claimed again after its lease: nothing is lost.
      .catch((err) => log.error({ err }, "outbox: could not record a send's outcome"))
      .finally(() => {
        running.delete(done);
        const left = (inFlight.get(api) ?? 1) - 1;
        inFlight.set(api, left);
        // Room for more of this API, or a row waiting behind this one (the next update of a card, the next
        // reply of a chat) may now be due.
        if (left <= cap / 2) nudge();
      });
    running.add(done);
  };

  const claim = async (): Promise<void> => {
    const wants = new Map<string, number>();
    for (const api of apis) {
      const n = inFlight.get(api) ?? 0;
      if (n <= cap / 2) wants.set(api, cap - n);
    }
    const claimedAt = Date.now();
    const rows = await claimDue(db.sql, wants, leaseMs);
    // Stop 1 s short of the lease so clock skew against the database cannot make two senders overlap.
    const leaseEnd = claimedAt + leaseMs - 1000;
    for (const row of rows) dispatch(row, leaseEnd);
  };

  const loop = (async () => {
    while (!stopped) {
      nudged = false;
      try {
        await claim();
      } catch (err) {
        log.error({ err }, "outbox: claiming rows failed; check the database connection");
      }
      if (nudged || stopped) continue;
      idle = new AbortController();
      await sleep(pollMs, undefined, { signal: idle.signal }).catch(() => undefined);
      idle = null;
    }
    await Promise.all(running);
  })();

  return {
    async stop() {
      stopped = true;
      idle?.abort();
      await loop;
    },
    wake: nudge,
    async drain() {
      while ((await countUnfinished(db.sql)) > 0) await sleep(Math.min(pollMs, 100));
    },
  };
}
