import type { Tx } from "../../db/database.ts";
import { assertLeaveRange } from "../../domain/leave-dates.ts";
import { assertIsoDate } from "../../domain/plain-date.ts";
import { AppError, validationError } from "../../lib/errors.ts";

/** A leave as stored and answered (plain dates, both inclusive). */
export interface Leave {
  id: string;
  userId: string;
  from: string;
  to: string;
  reason: string | null;
  source: "API" | "CHAT";
  createdAt: Date;
  cancelledAt: Date | null;
}

interface LeaveRow {
  id: string;
  user_id: string;
  from_date: string;
  to_date: string;
  reason: string | null;
  source: "API" | "CHAT";
  created_at: Date;
  cancelled_at: Date | null;
}

const COLUMNS = `id::text AS id, user_id, from_date::text AS from_date, to_date::text AS to_date, reason,
  source::text AS source, created_at, cancelled_at`;

const toLeave = (r: LeaveRow): Leave => ({
  id: r.id,
  userId: r.user_id,
  from: r.from_date,
  to: r.to_date,
  reason: r.reason,
  source: r.source,
  createdAt: new Date(r.created_at),
  cancelledAt: r.cancelled_at === null ? null : new Date(r.cancelled_at),
});

/**
 * Records a leave (docs/domain.md "Leave") for the API and the chat alike. Refused with a clear reason, storing
 * nothing: an unknown person (404), a date that is not real, `to` before `from`, a range over a year or starting
 * over a year from `today`, or one overlapping another (not cancelled) leave of the person. The same range
 * again is not an overlap but a retry: the stored leave is answered (its reason replaced when one is given),
 * with `created: false`.
 */
export async function recordLeave(
  tx: Tx,
  a: { userId: string; from: string; to: string; reason?: string | undefined; source: "API" | "CHAT"; today: string },
): Promise<{ leave: Leave; created: boolean }> {
  assertIsoDate(a.from, "from");
  assertIsoDate(a.to, "to");
  await lockStaff(tx, a.userId); // two requests for one person queue here, so the overlap check holds
  assertLeaveRange(a, a.today);
  const overlapping = await tx.$queryRawUnsafe<LeaveRow[]>(
    `SELECT ${COLUMNS} FROM staff_leave WHERE user_id = $1 AND cancelled_at IS NULL
        AND from_date <= $3::date AND to_date >= $2::date ORDER BY from_date`,
    a.userId,
    a.from,
    a.to,
  );
  const same = overlapping.length === 1 && overlapping[0]!.from_date === a.from && overlapping[0]!.to_date === a.to;
  if (same && (a.reason === undefined || a.reason === overlapping[0]!.reason)) {
    return { leave: toLeave(overlapping[0]!), created: false };
  }
  if (same) {
    const [row] = await tx.$queryRawUnsafe<LeaveRow[]>(
      `UPDATE staff_leave SET reason = $2 WHERE id = $1::bigint RETURNING ${COLUMNS}`,
      overlapping[0]!.id,
      a.reason,
    );
    return { leave: toLeave(row!), created: false };
  }
  if (overlapping.length > 0) {
    const list = overlapping.map((l) => `${l.from_date} 至 ${l.to_date}`).join("、");
    throw validationError(`与已登记的休假（${list}）重叠；如需改期，请先取消原休假`, [
      { field: "from", message: "与已有休假重叠" },
    ]);
  }
  const [row] = await tx.$queryRawUnsafe<LeaveRow[]>(
    `INSERT INTO staff_leave (user_id, from_date, to_date, reason, source)
     VALUES ($1, $2::date, $3::date, $4, $5::"LeaveSource") RETURNING ${COLUMNS}`,
    a.userId,
    a.from,
    a.to,
    a.reason ?? null,
    a.source,
  );
  return { leave: toLeave(row!), created: true };
}

/**
 * Cancels one leave of a person: the one starting on `from` when given, otherwise the current or next one (the
 * earliest not cancelled that has not ended before `today`). 404 when the person or such a leave is unknown.
 */
export async function cancelLeave(tx: Tx, a: { userId: string; from?: string | undefined; today: string }) {
  if (a.from !== undefined) assertIsoDate(a.from, "from");
  await lockStaff(tx, a.userId);
  const [row] = await tx.$queryRawUnsafe<LeaveRow[]>(
    `UPDATE staff_leave SET cancelled_at = now() WHERE id = (
       SELECT id FROM staff_leave WHERE user_id = $1 AND cancelled_at IS NULL
          AND ($2::date IS NULL OR from_date = $2::date) AND ($2::date IS NOT NULL OR to_date >= $3::date)
        ORDER BY from_date LIMIT 1)
     RETURNING ${COLUMNS}`,
    a.userId,
    a.from ?? null,
    a.today,
  );
  if (!row) {
    const which = a.from === undefined ? `今天（${a.today}）及以后` : `从 ${a.from} 开始`;
    throw new AppError("NOT_FOUND", `${a.userId} 没有${which}的休假可以取消`);
  }
  return toLeave(row);
}

async function lockStaff(tx: Tx, userId: string): Promise<void> {
  const found = await tx.$queryRawUnsafe<unknown[]>(`SELECT 1 FROM staff WHERE user_id = $1 FOR UPDATE`, userId);
  if (found.length === 0) throw new AppError("NOT_FOUND", `员工 ${userId} 不存在`);
}
