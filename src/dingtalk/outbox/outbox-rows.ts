import type { SqlRunner } from "../../db/sql.ts";

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
 * Claims up to `limit` rows that are due, or whose sender's lease ran out (it crashed or hung). SKIP LOCKED lets
 * several replicas claim side by side without waiting for or double-claiming each other's rows; `attempts` is
 * bumped here, so it also fences a sender whose lease was taken over (see the `mark*` functions).
 *
 * Card updates go out one at a time per outTrackId, in enqueue order: an update waits while an earlier row for
 * the same card is unfinished, so it never overtakes its card's creation or an earlier update. Only updates are
 * checked: a create is a card's first row, and checking every row made a 2000-card fan-out 7× slower on PGlite.
 * (An index on `payload->>'outTrackId'` would make the check cheap for bulk updates too; it needs a migration.)
 */
export function claimDue(sql: SqlRunner, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  return sql.query<OutboxRow>(
    `UPDATE outbox_message SET status = 'SENDING', lease_until = now() + $2 * interval '1 millisecond',
       attempts = attempts + 1
     WHERE id IN (
       SELECT m.id FROM outbox_message m
       WHERE ((m.status = 'PENDING' AND m.next_attempt_at <= now()) OR (m.status = 'SENDING' AND m.lease_until < now()))
         AND NOT (m.kind = 'card.update' AND EXISTS (
           SELECT 1 FROM outbox_message e
           WHERE e.id < m.id AND e.status IN ('PENDING', 'SENDING') AND e.kind LIKE 'card.%'
             AND e.payload->>'outTrackId' = m.payload->>'outTrackId'))
       ORDER BY m.id LIMIT $1 FOR UPDATE OF m SKIP LOCKED)
     RETURNING id, idempotency_key, kind, api, payload, status, attempts`,
    [limit, leaseMs],
  );
}

// Each mark applies only while the row is still this claim's (same attempts, still SENDING).
const MINE = "WHERE id = $1 AND attempts = $2 AND status = 'SENDING'";

export async function markSent(sql: SqlRunner, row: OutboxRow, result: unknown): Promise<void> {
  await sql.query(
    `UPDATE outbox_message SET status = 'SENT', sent_at = now(), lease_until = NULL, last_error = NULL,
       result = $3::jsonb ${MINE}`,
    [row.id, row.attempts, JSON.stringify(result ?? null)],
  );
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

/** Rows still to be sent (due or not) or being sent. */
export async function countUnfinished(sql: SqlRunner): Promise<number> {
  const rows = await sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM outbox_message WHERE status IN ('PENDING', 'SENDING')",
  );
  return rows[0]?.n ?? 0;
}

/** Exponential backoff from `baseMs` (×2 per attempt, capped at 5 min) with ±25 % jitter, so replicas spread out. */
export function backoffMs(attempts: number, baseMs: number, random: () => number = Math.random): number {
  const raw = Math.min(baseMs * 2 ** Math.max(0, attempts - 1), 5 * 60_000);
  return raw * (0.75 + random() * 0.5);
}
