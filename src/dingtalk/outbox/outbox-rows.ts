import type { SqlRunner } from "../../db/sql.ts";
import { API } from "../openapi-client.ts";

/** An outbox row as the worker sees it (raw SQL: Prisma has no `FOR UPDATE SKIP LOCKED`). */
export interface OutboxRow {
  id: bigint;
  idempotency_key: string;
  kind: string;
  api: string;
  payload: unknown;
  status: "PENDING" | "SENDING" | "SENT" | "DEAD";
  attempts: number;
}

/**
 * The key rows are ordered by: a card's outTrackId (card bodies carry it), or a chat reply's conversationId.
 * The partial index `outbox_message_order_key_idx` (migration 20261123060000_outbox_order) is on exactly this
 * expression, for unfinished rows; keep the two identical or the claim scans the table.
 */
export const ORDER_KEY = (alias: string) =>
  `COALESCE(${alias}.payload->>'outTrackId', ${alias}.payload->>'conversationId')`;

/**
 * A session reply whose webhook would have expired before the end of the lease (the worker never calls after
 * it) + 5 s for the clocks, and that has a 1:1 fallback.
 */
const WEBHOOK_EXPIRED = `kind = 'session.reply' AND payload->'fallback' IS NOT NULL
  AND (payload->>'expiresAt')::float8 <= extract(epoch FROM now()) * 1000 + $2::float8 + 5000`;

/** How many rows to claim for each API (rate-limit bucket). */
export type ClaimWants = ReadonlyMap<string, number>;

/**
 * Claims, for each API in `wants`, up to that many rows that are due, or whose sender's lease ran out (it crashed
 * or hung). Per API, so that a chat reply never waits behind a fan-out of cards: each API has its own rate
 * limit, and its rows their own place in line. SKIP LOCKED lets several replicas claim side by side without
 * waiting for or double-claiming each other's rows; `attempts` is bumped here, so it also fences a sender whose
 * lease was taken over (see the `mark*` functions).
 *
 * Order: a card update waits while an earlier row of the same card is unfinished, so it never overtakes its
 * card's create or an earlier update; a chat reply likewise waits for the earlier replies of its chat. Creates
 * and other messages are not checked (a create is a card's first row). The check is an index probe per
 * candidate (see {@link ORDER_KEY}); the candidates of an API come from the partial index on unfinished rows
 * (`outbox_message_due_idx`, migration 20261124010000_outbox_due), so sent history is never scanned.
 *
 * Fallback: a session reply claimed too late for its webhook becomes the `robot.batchSend` stored in its
 * payload (docs/dingtalk.md §2.1), here rather than in the sender so that the row is rate-limited as what it is. The
 * original webhook stays in the payload as `expiredSessionWebhook`.
 */
export function claimDue(sql: SqlRunner, wants: ClaimWants, leaseMs: number): Promise<OutboxRow[]> {
  const asked = [...wants].filter(([, n]) => n > 0);
  if (asked.length === 0) return Promise.resolve([]);
  return sql.query<OutboxRow>(CLAIM_SQL, [asked.map(([api]) => api), leaseMs, asked.map(([, n]) => n)]);
}

/** The claim statement ($1 APIs, $2 lease ms, $3 rows per API); exported for the EXPLAIN test. */
export const CLAIM_SQL = `
UPDATE outbox_message SET status = 'SENDING', lease_until = now() + $2::float8 * interval '1 millisecond',
  claimed_at = now(), attempts = attempts + 1,
  kind = CASE WHEN ${WEBHOOK_EXPIRED} THEN 'robot.batchSend' ELSE kind END,
  api = CASE WHEN ${WEBHOOK_EXPIRED} THEN '${API.batchSend}' ELSE api END,
  payload = CASE WHEN ${WEBHOOK_EXPIRED}
    THEN (payload->'fallback') || jsonb_build_object('conversationId', payload->'conversationId',
      'expiredSessionWebhook', payload->'url')
    ELSE payload END
WHERE id IN (
  SELECT c.id FROM unnest($1::text[], $3::int[]) AS q(api, n) CROSS JOIN LATERAL (
    SELECT m.id FROM outbox_message m
    WHERE m.api = q.api AND m.status IN ('PENDING', 'SENDING')
      AND ((m.status = 'PENDING' AND m.next_attempt_at <= now()) OR (m.status = 'SENDING' AND m.lease_until < now()))
      AND NOT (m.kind IN ('card.update', 'session.reply') AND EXISTS (
        SELECT 1 FROM outbox_message e
        WHERE e.status IN ('PENDING', 'SENDING') AND ${ORDER_KEY("e")} = ${ORDER_KEY("m")} AND e.id < m.id))
    ORDER BY m.id LIMIT q.n FOR UPDATE OF m SKIP LOCKED) c)
RETURNING id, idempotency_key, kind, api, payload, status, attempts`;

/**
 * The heartbeat: extends the leases of the rows a live sender holds to `leaseMs` from now, in one statement.
 * Fenced like the marks: a row another sender took over (its attempts bumped) or already marked is not renewed.
 * Answers the ids renewed.
 */
export async function renewLeases(
  sql: SqlRunner,
  rows: readonly { id: bigint; attempts: number }[],
  leaseMs: number,
): Promise<bigint[]> {
  if (rows.length === 0) return [];
  const renewed = await sql.query<{ id: bigint }>(
    `UPDATE outbox_message m SET lease_until = now() + $3::float8 * interval '1 millisecond'
     FROM unnest($1::bigint[], $2::int[]) AS h(id, attempts)
     WHERE m.id = h.id AND m.attempts = h.attempts AND m.status = 'SENDING' RETURNING m.id`,
    [rows.map((r) => String(r.id)), rows.map((r) => r.attempts), leaseMs],
  );
  return renewed.map((r) => BigInt(r.id));
}

// Each mark applies only while the row is still this claim's (same attempts, still SENDING).
const MINE = "WHERE id = $1 AND attempts = $2 AND status = 'SENDING'";

/** Marks sent rows SENT, one statement for all of them (each fenced by its claim's `attempts`, as {@link MINE}). */
export async function markSent(sql: SqlRunner, sent: readonly { row: OutboxRow; result: unknown }[]): Promise<void> {
  if (sent.length === 0) return;
  await sql.query(
    `UPDATE outbox_message o SET status = 'SENT', sent_at = now(), lease_until = NULL, last_error = NULL,
            result = m.result
       FROM unnest($1::bigint[], $2::int[], $3::jsonb[]) AS m(id, attempts, result)
      WHERE o.id = m.id AND o.attempts = m.attempts AND o.status = 'SENDING'`,
    [
      sent.map((s) => String(s.row.id)),
      sent.map((s) => s.row.attempts),
      sent.map((s) => JSON.stringify(s.result ?? null)),
    ],
  );
}

/**
 * Group commit for {@link markSent}: one mark statement on its way at a time, and the sends that finish meanwhile
 * are marked together by the next one. An idle worker marks a row at once; a busy one marks many per statement.
 * Each caller's promise settles when its own row's mark has (a failed statement rejects every mark in it).
 */
export function createSentMarker(sql: SqlRunner): (row: OutboxRow, result: unknown) => Promise<void> {
  let queue: { row: OutboxRow; result: unknown; resolve: () => void; reject: (err: unknown) => void }[] = [];
  let flushing = false;
  const flush = async () => {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      try {
        await markSent(sql, batch);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    flushing = false;
  };
  return (row, result) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ row, result, resolve, reject });
      if (!flushing) void flush();
    });
}

export async function markRetry(sql: SqlRunner, row: OutboxRow, delayMs: number, error: string): Promise<void> {
  await sql.query(
    `UPDATE outbox_message SET status = 'PENDING', lease_until = NULL, last_error = $3,
       next_attempt_at = now() + $4 * interval '1 millisecond' ${MINE}`,
    [row.id, row.attempts, error, Math.round(delayMs)],
  );
}

export async function markDead(sql: SqlRunner, row: OutboxRow, error: string): Promise<void> {
  await sql.query(`UPDATE outbox_message SET status = 'DEAD', lease_until = NULL, last_error = $3 ${MINE}`, [
    row.id,
    row.attempts,
    error,
  ]);
}

/**
 * A claimed row that cannot go out yet (see SendOutcome "wait"): due again in `delayMs`, and the claim's attempt
 * given back, so waiting never makes a row DEAD. The next claim bumps `attempts` again, so the fence holds.
 */
export async function markWait(sql: SqlRunner, row: OutboxRow, delayMs: number, error: string): Promise<void> {
  await sql.query(
    `UPDATE outbox_message SET status = 'PENDING', lease_until = NULL, last_error = $3, attempts = attempts - 1,
       next_attempt_at = now() + $4 * interval '1 millisecond' ${MINE}`,
    [row.id, row.attempts, error, Math.round(delayMs)],
  );
}

/**
 * Records an image row's upload: its media_id in place of the PNG, while the row is still this claim's. False
 * when it is not (the lease ran out and another sender has it): the caller must then not send.
 */
export async function rememberMedia(sql: SqlRunner, row: OutboxRow, mediaId: string): Promise<boolean> {
  const rows = await sql.query<{ id: bigint }>(
    `UPDATE outbox_message SET payload = (payload - 'png') || jsonb_build_object('mediaId', $3::text)
     ${MINE} RETURNING id`,
    [row.id, row.attempts, mediaId],
  );
  return rows.length === 1;
}

/** A `todo.create` row as a `todo.update` needs it. */
export interface TodoCreateRow {
  status: OutboxRow["status"];
  userId: string;
  /** The created task's id (its result's `id`), once SENT. */
  taskId: string | null;
  /** How long until it is due (0 when due or being sent). */
  dueInMs: number;
}

export async function findTodoCreate(sql: SqlRunner, key: string): Promise<TodoCreateRow | undefined> {
  const rows = await sql.query<TodoCreateRow>(
    `SELECT status::text AS status, payload->>'userId' AS "userId", result->>'id' AS "taskId",
       GREATEST(0, extract(epoch FROM next_attempt_at - now()) * 1000)::float8 AS "dueInMs"
     FROM outbox_message WHERE idempotency_key = $1 AND kind = 'todo.create'
     UNION ALL -- sent, and deleted since by the retention job: its key and task id are kept
     SELECT 'SENT', memo->>'userId', memo->>'taskId', 0::float8
     FROM outbox_sent_key WHERE idempotency_key = $1 AND kind = 'todo.create'`,
    [key],
  );
  return rows[0];
}

/** Rows still to be sent (due or not) or being sent. */
export async function countUnfinished(sql: SqlRunner): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox_message WHERE status IN ('PENDING', 'SENDING')",
  );
  return rows[0]?.n ?? 0;
}

/** The longest wait between two tries: 300 × the first (5 min at the default 1 s), so a recovery is seen soon. */
export const maxBackoffMs = (baseMs: number) => 300 * baseMs;

/** Exponential backoff from `baseMs` (×2 per attempt, capped at {@link maxBackoffMs}) with ±25 % jitter, so replicas spread out. */
export function backoffMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), maxBackoffMs(baseMs));
  return raw * (0.75 + random() * 0.5);
}

/**
 * How many attempts a row gets before it is DEAD so that its retries span `horizonMs` (OUTBOX_RETRY_HOURS,
 * 24 h by default): the first attempt whose un-jittered waits so far add up to the horizon is the last. At the
 * defaults that is 297 attempts — 9 doublings from 1 s, then one every 5 min — so a DingTalk outage of up to a
 * day delays messages but loses none. Counted in attempts rather than from a stored first failure, so a row
 * needs no new column and a redrive (see redriveDead) starts it over.
 */
export function attemptsWithin(horizonMs: number, baseMs: number): number {
  let waited = 0;
  let attempts = 1;
  while (waited < horizonMs) {
    waited += Math.min(baseMs * 2 ** (attempts - 1), maxBackoffMs(baseMs));
    attempts++;
  }
  return attempts;
}

/**
 * `POST /api/outbox/redrive`: DEAD rows (`ids`, or every one) go back to PENDING, due now, with their original
 * idempotency key and payload — the same row, so a card DingTalk did create before is answered
 * `param.cardAlreadyExist` and counted sent, not created twice, and a to-do create looks for the earlier one
 * first (attempts is set to 1, so the next claim's attempt is a retry). Answers the ids redriven.
 */
export async function redriveDead(sql: SqlRunner, ids: readonly bigint[] | "all"): Promise<string[]> {
  const rows = await sql.query<{ id: bigint }>(
    `UPDATE outbox_message SET status = 'PENDING', attempts = 1, next_attempt_at = now(), lease_until = NULL,
       last_error = 'redriven after: ' || COALESCE(last_error, '')
     WHERE status = 'DEAD' AND ($1::boolean OR id = ANY($2::bigint[])) RETURNING id`,
    [ids === "all", ids === "all" ? [] : ids.map(String)],
  );
  return rows.map((r) => String(r.id)).sort((a, b) => Number(BigInt(a) - BigInt(b)));
}
