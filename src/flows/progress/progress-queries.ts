import { rawQuery, type SqlRunner, type Tx } from "../../db/database.ts";
import { wasSentSql } from "../../dingtalk/outbound.ts";
import type { Calendar } from "../../domain/calendar.ts";
import { expectedForPeriod } from "../../domain/phasing.ts";
import type { Metric } from "../../generated/prisma/client.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import { awayDates, awayOnAllSql } from "../leave/leave-sql.ts";

/**
 * The progress rules that several views read the database for (one rule, one place): whose targets
 * count and what they are worth in a period, which reported figure is in force, and storing one.
 */

/** A leaf target (not archived, no live children) with its owner and its twelve monthly amounts. */
export interface OwnerLeaf {
  userId: string;
  name: string;
  active: boolean;
  months: bigint[];
}

/**
 * The leaves of a plan, one row per leaf (a person may own several); `userId` narrows them to one owner.
 * `presentOn` (a period's workdays, `periodWorkdayDates`) leaves out owners on leave on every one of those dates.
 */
export async function ownerLeaves(
  tx: Tx,
  planId: string,
  userId?: string,
  presentOn?: readonly string[],
): Promise<OwnerLeaf[]> {
  const rows = await tx.$queryRawUnsafe<{ user_id: string; name: string; active: boolean; months: string[] }[]>(
    `SELECT t.owner_user_id AS user_id, s.name, s.active, array_agg(m.amount::text ORDER BY m.month) AS months
       FROM target t JOIN staff s ON s.user_id = t.owner_user_id JOIN target_month m ON m.target_id = t.id
      WHERE t.plan_id = $1 AND ($2::text IS NULL OR t.owner_user_id = $2) AND ${liveLeafSql("t")}
        AND ($3::text IS NULL OR NOT ${awayOnAllSql("t.owner_user_id", "$3::text")})
      GROUP BY t.id, t.owner_user_id, s.name, s.active`,
    planId,
    userId ?? null,
    presentOn ? awayDates(presentOn) : null,
  );
  return rows.map((r) => ({ userId: r.user_id, name: r.name, active: r.active, months: r.months.map(BigInt) }));
}

/** What a leaf is expected to bring in during a period: its months, by working days (docs/domain.md "Phasing"). */
export function leafPeriodTarget(
  leaf: Pick<OwnerLeaf, "months">,
  fiscalYear: number,
  period: string,
  calendar: Calendar,
): bigint {
  return expectedForPeriod(leaf.months, fiscalYear, period, calendar);
}

/**
 * Orders a person's entries for one period so that the figure in force comes first: an IMPORT (the company's
 * own figures) beats a SELF_REPORT, and within a source the latest wins. For `DISTINCT ON (…, period)`.
 */
export const IN_FORCE_ORDER = "(source = 'IMPORT') DESC, id DESC";

/** The figure in force for one period, per person. */
export interface FigureInForce {
  userId: string;
  amount: bigint;
  source: "IMPORT" | "SELF_REPORT";
  newCustomers: number | null;
  at: Date;
}

export async function figuresInForce(
  tx: Tx,
  a: { planId: string; metric: Metric; period: string; userId?: string },
): Promise<Map<string, FigureInForce>> {
  const rows = await tx.$queryRawUnsafe<
    { user_id: string; amount: string; source: "IMPORT" | "SELF_REPORT"; new_customers: number | null; at: Date }[]
  >(
    `SELECT DISTINCT ON (user_id) user_id, amount::text AS amount, source::text AS source, new_customers,
            created_at AS at
       FROM progress_entry WHERE plan_id = $1 AND metric = $2::"Metric" AND period = $3
        AND ($4::text IS NULL OR user_id = $4)
      ORDER BY user_id, ${IN_FORCE_ORDER}`,
    a.planId,
    a.metric,
    a.period,
    a.userId ?? null,
  );
  return new Map(
    rows.map((r) => [
      r.user_id,
      {
        userId: r.user_id,
        amount: BigInt(r.amount),
        source: r.source,
        newCustomers: r.new_customers,
        at: new Date(r.at),
      },
    ]),
  );
}

/** One reported figure, as stored. */
export interface ProgressEntryRow {
  planId: string;
  userId: string;
  period: string;
  metric: Metric;
  amount: bigint;
  newCustomers?: number | null;
  note?: string | null;
  source: "IMPORT" | "SELF_REPORT";
  origin: string;
}

/**
 * Stores a figure unless it repeats the latest one of the same person, period, metric and source (latest wins,
 * history kept; a retried import or a repeated chat message stores nothing). One statement: a report is on the
 * path of every chat message (bench:inbound). `created_at` is when the row is written (clock_timestamp), not
 * when the caller's transaction began. Returns whether a row was stored.
 */
export async function insertProgressEntry(tx: Tx, e: ProgressEntryRow): Promise<boolean> {
  return (await storeProgressEntry(tx, e)).inserted;
}

/**
 * insertProgressEntry, and in the same statement when the figure's plan-period was evaluated (null while it is
 * not): a figure for an evaluated period is kept in history but never rewrites the evaluation (docs/domain.md
 * "Progress"), and whoever reported it is told so.
 */
export async function storeProgressEntry(
  on: Tx | SqlRunner,
  e: ProgressEntryRow,
  opts: { askSent?: string } = {},
): Promise<{ inserted: boolean; evaluatedAt: Date | null; sent?: boolean }> {
  // askSent: whether that outbox key was sent (Outbound.wasSent), in the same statement.
  const sent = opts.askSent === undefined ? "" : `, ${wasSentSql("$10::text")} AS sent`;
  const [row] = await rawQuery<{ inserted: number; evaluatedAt: Date | null; sent?: boolean }>(
    on,
    `WITH inserted AS (
       INSERT INTO progress_entry
         (plan_id, user_id, period, metric, amount, new_customers, note, source, origin, created_at)
       SELECT $1, $2, $3, $4::"Metric", $5, $6, $7, $8::"ProgressSource", $9, clock_timestamp()
        WHERE NOT EXISTS (
          SELECT 1 FROM (SELECT amount, new_customers FROM progress_entry
                          WHERE plan_id = $1 AND user_id = $2 AND period = $3 AND metric = $4::"Metric"
                            AND source = $8::"ProgressSource" ORDER BY id DESC LIMIT 1) latest
           WHERE latest.amount = $5 AND latest.new_customers IS NOT DISTINCT FROM $6)
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM inserted)::int AS inserted,
            (SELECT evaluated_at FROM evaluated_period WHERE plan_id = $1 AND period = $3) AS "evaluatedAt"${sent}`,
    [
      e.planId,
      e.userId,
      e.period,
      e.metric,
      e.amount,
      e.newCustomers ?? null,
      e.note?.slice(0, 500) ?? null,
      e.source,
      e.origin,
      ...(opts.askSent === undefined ? [] : [opts.askSent]),
    ],
  );
  return {
    inserted: row?.inserted === 1,
    evaluatedAt: row?.evaluatedAt ? new Date(row.evaluatedAt) : null,
    ...(opts.askSent === undefined ? {} : { sent: row?.sent === true }),
  };
}

/** A plan-period that has been evaluated, and when (evaluated_period, written once by the evaluation). */
export interface EvaluatedPlanPeriod {
  planId: string;
  period: string;
  evaluatedAt: Date;
}
