import { setTimeout as sleep } from "node:timers/promises";
import type { Database } from "../../db/database.ts";
import type { Logger } from "../../lib/logger.ts";
import { errText } from "../access-token.ts";
import type { OpenApiClient, RequestGate } from "../openapi-client.ts";
import { createDelayMeter, localNow } from "./delay-meter.ts";
import { type HeldRow, KIND_API } from "./enqueue.ts";
import { createFleetRateLimiter, type Slot } from "./fleet-rate-limiter.ts";
import {
  attemptsWithin,
  backoffMs,
  claimDue,
  countUnfinished,
  createSentMarker,
  findTodoCreate,
  markDead,
  markRetry,
  markWait,
  maxBackoffMs,
  type OutboxRow,
  rememberMedia,
  renewLeases,
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
  /**
   * How long a claim is exclusive unless renewed (default 5 s: OUTBOX_LEASE_MS). The worker renews the leases of
   * the rows it holds every `renewMs` while it lives, so a row is claimed again only once its sender stopped
   * renewing: a crashed or hung process's rows are taken over within `leaseMs` (+ a poll) of its last renewal.
   */
  leaseMs?: number;
  /** How often the held rows' leases are renewed (default a quarter of `leaseMs`). */
  renewMs?: number;
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

/** A held row's claim: its fence, and until when (local monotonic ms, {@link localNow}) a call may start for it. */
interface Lease {
  readonly attempts: number;
  usableUntil: number;
}

export interface OutboxWorker {
  /** Stops claiming, then finishes the sends in flight. */
  stop(): Promise<void>;
  /** Resolves once no row is PENDING or SENDING (for tests and benchmarks). */
  drain(): Promise<void>;
  /** Cuts the idle wait short: call after committing rows that should go out now (chat replies). */
  wake(): void;
  /** Rows stored already claimed by this worker ({@link enqueueHeld}), sent with no claim statement. */
  readonly handOff: HandOff;
}

/**
 * How a transaction stores a row already claimed by this worker, and hands it over after its commit: the row goes
 * out at once, without the claim the worker would otherwise need to find it (and the one its finish would start).
 */
export interface HandOff {
  /** The lease to store a row of `api` with, or null when this worker takes no more now (stopping, or full). */
  leaseFor(api: string): number | null;
  /** After the commit: sends the rows stored claimed. A row whose lease ran out meanwhile is left to the claims. */
  send(rows: readonly HeldRow[]): void;
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
  const leaseMs = opts.leaseMs ?? 5000;
  const renewMs = opts.renewMs ?? leaseMs / 4;
  // A row is used (a call started for it) only while its lease has at least this long left, measured from the
  // moment the claim or last renewal was sent: covers the way from that check to DingTalk (the clocks play no
  // part: a lease is a duration on the local monotonic clock, and the database's now() comes after the send).
  const leaseSafetyMs = Math.min(1000, leaseMs / 4);
  const limiter = createFleetRateLimiter({
    sql: db.sql,
    qps: opts.qps,
    meter: createDelayMeter({ minMarginMs: opts.minRateMarginMs ?? 1000 }),
  });
  const lookup: OutboxLookup = {
    todoCreate: (key) => findTodoCreate(db.sql, key),
    rememberMedia: (row, mediaId) => rememberMedia(db.sql, row, mediaId),
  };
  const markSent = createSentMarker(db.sql);
  let stopped = false;

  /** Null when the lease ran out while waiting: the row is left for whoever claims it next. */
  const waitForSlot = async (api: string, lease: Lease): Promise<Slot | null> => {
    let slot = await limiter.take(api);
    // Held up since (a stall, a slow query): the call could arrive later than the slot's margin allows, so
    // give the slot back and take anew. Nothing may be awaited between this check and the call.
    while (localNow() > slot.usableUntil) {
      limiter.release(slot).catch(() => undefined); // a failed release only wastes the slot
      slot = await limiter.take(api);
    }
    // The lease could not be renewed in time (the database unreachable, a stall longer than the lease): another
    // replica may own the row now, and sending could duplicate a message.
    if (localNow() < lease.usableUntil) return slot;
    limiter.release(slot).catch(() => undefined);
    return null;
  };

  /**
   * Lets each HTTP request of a row's call out at a fleet-wide rate-limit slot (a call whose token was rejected
   * makes a second request, with a slot of its own), and reports when DingTalk answered.
   */
  const gateFor =
    (lease: Lease): RequestGate =>
    async (api, request) => {
      let slot: Slot | null;
      try {
        slot = await waitForSlot(api, lease);
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

  const processRow = async (row: OutboxRow, lease: Lease): Promise<void> => {
    let outcome: SendOutcome;
    try {
      outcome = await sendOutboxRow(opts.client, row, gateFor(lease), lookup);
    } catch (err) {
      if (err instanceof NotSent && err.leaseLost) return;
      // The token fetch or the rate limiter failed: nothing (more) was sent, so trying again is safe.
      outcome = { kind: "retry", error: `before sending: ${errText(err)}` };
    }
    if (outcome.kind === "sent") {
      log.debug({ id: String(row.id), key: row.idempotency_key }, "outbox: sent");
      return markSent(row, outcome.result);
    }
    if (outcome.kind === "skipped") {
      log.warn({ id: String(row.id), key: row.idempotency_key, reason: outcome.reason }, "outbox: nothing to send");
      return markSent(row, { skipped: outcome.reason });
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
  /** The rows claimed here and not finished: their leases, renewed by the heartbeat. */
  const held = new Map<bigint, Lease>();
  const stopHeartbeat = new AbortController();
  let nudged = false;
  /** When {@link OutboxWorker.wake} was last called ({@link localNow}): rows were committed for the claims to find. */
  let wokenAt = Number.NEGATIVE_INFINITY;
  let idle: AbortController | null = null;
  /** Claim again now rather than after the poll period. */
  const nudge = () => {
    nudged = true;
    idle?.abort();
  };

  /**
   * `storedAt`: for a row handed off, when its insert was sent. When a row finishes, a row claimed may have a row
   * of its chat or card waiting behind it, so the worker claims again; a row handed off went first (see
   * enqueueHeld), so only a row committed for the claims after it was stored (a wake since) can be waiting.
   */
  const dispatch = (row: OutboxRow, lease: Lease, storedAt?: number) => {
    const api = row.api; // as claimed: a reply past its webhook is now a batchSend
    inFlight.set(api, (inFlight.get(api) ?? 0) + 1);
    held.set(row.id, lease);
    const done = processRow(row, lease)
      // A row whose mark failed stays SENDING and is claimed again after its lease: nothing is lost.
      .catch((err) => log.error({ err }, "outbox: could not record a send's outcome"))
      .finally(() => {
        held.delete(row.id);
        running.delete(done);
        const left = (inFlight.get(api) ?? 1) - 1;
        inFlight.set(api, left);
        // Room for more of this API, or a row waiting behind this one (the next update of a card, the next
        // reply of a chat) may now be due.
        if (left <= cap / 2 && (storedAt === undefined || wokenAt >= storedAt)) nudge();
      });
    running.add(done);
  };

  const claim = async (): Promise<void> => {
    const wants = new Map<string, number>();
    for (const api of apis) {
      const n = inFlight.get(api) ?? 0;
      if (n <= cap / 2) wants.set(api, cap - n);
    }
    const claimedAt = localNow();
    const rows = await claimDue(db.sql, wants, leaseMs);
    for (const row of rows) dispatch(row, { attempts: row.attempts, usableUntil: claimedAt + leaseMs - leaseSafetyMs });
  };

  /**
   * The heartbeat: one statement renews every row this worker holds, fenced by `attempts` like the marks, so a
   * row another replica took over is not renewed (and is not used again here: its lease is cut short).
   */
  const renew = async (): Promise<void> => {
    if (held.size === 0) return;
    const leases = [...held];
    const sentAt = localNow();
    let renewed: Set<bigint>;
    try {
      renewed = new Set(
        await renewLeases(
          db.sql,
          leases.map(([id, l]) => ({ id, attempts: l.attempts })),
          leaseMs,
        ),
      );
    } catch (err) {
      // The leases run on: the rows are used only until they end, then left for whoever claims them next.
      log.warn({ err }, "outbox: renewing the leases failed; check the database connection");
      return;
    }
    for (const [id, lease] of leases) {
      if (renewed.has(id)) lease.usableUntil = Math.max(lease.usableUntil, sentAt + leaseMs - leaseSafetyMs);
      else if (held.get(id) === lease) lease.usableUntil = Number.NEGATIVE_INFINITY; // marked meanwhile, or lost
    }
  };
  const heartbeat = (async () => {
    while (!stopped) {
      await sleep(renewMs, undefined, { signal: stopHeartbeat.signal }).catch(() => undefined);
      if (!stopped) await renew();
    }
  })();

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
    // The heartbeat goes on until the sends in flight are done: their rows stay this worker's meanwhile.
    await Promise.all(running);
    stopHeartbeat.abort();
    await heartbeat;
  })();

  const handOff: HandOff = {
    leaseFor: (api) => (stopped || (inFlight.get(api) ?? 0) >= cap ? null : leaseMs),
    send(rows) {
      for (const { row, sentAt } of rows) {
        const lease = { attempts: row.attempts, usableUntil: sentAt + leaseMs - leaseSafetyMs };
        // Stopping (the sends in flight may be all awaited already), or the transaction outlasted the lease: the
        // row is claimed once its lease has ended, by this worker's next claim or another replica's.
        if (stopped || localNow() >= lease.usableUntil) continue;
        dispatch(row, lease, sentAt);
      }
    },
  };

  return {
    async stop() {
      stopped = true;
      idle?.abort();
      await loop;
    },
    wake() {
      wokenAt = localNow();
      nudge();
    },
    handOff,
    async drain() {
      while ((await countUnfinished(db.sql)) > 0) await sleep(Math.min(pollMs, 100));
    },
  };
}
