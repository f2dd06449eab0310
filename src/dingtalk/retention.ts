import type { AppDeps } from "../app-deps.ts";
import type { SqlRunner } from "../db/sql.ts";
import type { DueRule } from "../domain/job-schedules.ts";
import type { ScheduledJob } from "../scheduler/job.ts";

/** What one retention run deleted, and the moment before which it deleted. */
export interface RetentionResult {
  /** Rows are deleted when sent (outbox) or received (inbound) before this instant. */
  before: string;
  outboxDeleted: number;
  inboundDeleted: number;
}

/**
 * One outbox batch: SENT rows sent before $1, oldest first, at most $2 of them, deleted; each key moves to
 * `outbox_sent_key` in the same statement, with what later sends read of the row (a to-do's task id, a
 * broadcast's recipients). PENDING, SENDING and DEAD rows are never touched. SKIP LOCKED: a row a transaction
 * is reading for update is left for the next run.
 */
const OUTBOX_BATCH_SQL = `
WITH gone AS (
  DELETE FROM outbox_message WHERE id IN (
    SELECT id FROM outbox_message WHERE status = 'SENT' AND sent_at < $1::timestamptz
    ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
  RETURNING idempotency_key, kind, sent_at, payload, result
), kept AS (
  INSERT INTO outbox_sent_key (idempotency_key, kind, sent_at, memo)
  SELECT idempotency_key, kind, sent_at, CASE kind
      WHEN 'todo.create' THEN jsonb_build_object('userId', payload->>'userId', 'taskId', result->>'id')
      WHEN 'robot.batchSend' THEN jsonb_build_object('userIds', payload->'userIds')
    END
  FROM gone ON CONFLICT (idempotency_key) DO NOTHING
)
SELECT count(*)::int AS n FROM gone`;

/**
 * One inbound batch: dedupe keys of pushes received before $1 (a chat message's msgId / messageId, a card
 * push's messageId: DingTalk redelivers an unacknowledged push within minutes, never a month later). A card
 * click's key (`card:…`) is kept: the card stays in the person's chat and a tap on it next year must still
 * answer 已处理 (docs/architecture.md, Retention).
 */
const INBOUND_BATCH_SQL = `
DELETE FROM inbound_event WHERE key IN (
  SELECT key FROM inbound_event WHERE received_at < $1::timestamptz AND NOT starts_with(key, 'card:')
  ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)`;

const COUNT_INBOUND_SQL = `WITH gone AS (${INBOUND_BATCH_SQL} RETURNING 1) SELECT count(*)::int AS n FROM gone`;

/**
 * Deletes sent outbox rows and inbound dedupe keys older than `before`, in batches of `batchSize` rows (each
 * its own short statement, so no lock is held for long and the WAL grows in small steps).
 */
export async function runRetention(
  sql: SqlRunner,
  opts: { before: Date; batchSize?: number },
): Promise<RetentionResult> {
  const batchSize = opts.batchSize ?? 5000;
  const deleteAll = async (statement: string): Promise<number> => {
    let total = 0;
    for (;;) {
      const [row] = await sql.query<{ n: number }>(statement, [opts.before.toISOString(), batchSize]);
      const n = Number(row?.n ?? 0);
      total += n;
      if (n < batchSize) return total;
    }
  };
  return {
    before: opts.before.toISOString(),
    outboxDeleted: await deleteAll(OUTBOX_BATCH_SQL),
    inboundDeleted: await deleteAll(COUNT_INBOUND_SQL),
  };
}

/** Every day (workday or not) at 03:30, when little else runs; period = the day. */
export const retentionRule: DueRule = { time: "03:30", due: (date) => date, periodOf: (date) => date };

/**
 * retention: keeps `outbox_message` and `inbound_event` bounded — deletes what is older than RETENTION_DAYS
 * (30) before the run's moment.
 */
export const retentionJob: ScheduledJob<AppDeps> = {
  id: "retention",
  rule: retentionRule,
  run(deps, _day, at) {
    const now = at ?? deps.now();
    return runRetention(deps.db.sql, { before: new Date(now.getTime() - deps.config.retentionMs) });
  },
};
