import type { Tx } from "../../db/database.ts";
import type { Calendar } from "../../domain/calendar.ts";
import { periodWorkdayDates } from "../../domain/leave-dates.ts";
import { periodRange } from "../../domain/period-key.ts";
import { accrualPoint } from "../../domain/phasing.ts";
import { addDays } from "../../domain/plain-date.ts";
import { localDateTime } from "../../domain/zoned-time.ts";
import type { Metric } from "../../generated/prisma/client.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import { IN_FORCE_ORDER } from "../progress/progress-queries.ts";
import type { EvaluatedPlan } from "./period-evaluated.ts";

/** What evaluatePeriod needs about one owner and period, read for all owners of a plan in one statement. */
export interface OwnerPeriodFacts {
  userId: string;
  targetIds: string[];
  /** The leaves' months by working days over the period (phasing.ts expectedForPeriod), summed. */
  periodTarget: bigint;
  /** Expected from 1 January through the period's last day, summed over the leaves. */
  ytdTarget: bigint;
  annualTarget: bigint;
  /** The figure in force for the period; null when nothing was reported. */
  actual: bigint | null;
  /** The figures in force of every period of the plan year up to and including this one. */
  ytdActual: bigint;
  /** The period began (00:00 local of its first day) before the latest publish of one of the owner's leaves. */
  startedBeforePublish: boolean;
  /** Workdays of the period inside the plan year on which the owner is on leave. */
  leaveWorkdays: number;
  /** The streak stored with the owner's latest earlier evaluation of this plan (0 for the first). */
  previousStreak: number;
}

/**
 * The facts of every active owner of a live leaf of the plan for one period, in one statement (issue: evaluation
 * is set-based): the period target and year-to-date target from the twelve month rows with the same arithmetic
 * as phasing.ts (accrualPoint gives the numbers, the SQL applies them per leaf), the figures in force (IMPORT
 * beats SELF_REPORT, latest wins), leave days, the latest publish and the previous streak. People who left
 * (inactive) are not evaluated: their escalations close instead.
 */
export async function ownerPeriodFacts(
  tx: Tx,
  plan: EvaluatedPlan & { metric: Metric },
  period: string,
  calendar: Calendar,
): Promise<OwnerPeriodFacts[]> {
  const { from, to } = periodRange(period);
  const start = accrualPoint(plan.fiscalYear, addDays(from, -1), calendar);
  const end = accrualPoint(plan.fiscalYear, to, calendar);
  const year = String(plan.fiscalYear);
  const leaveDays = periodWorkdayDates(period, calendar).filter((d) => d.startsWith(year));
  const rows = await tx.$queryRawUnsafe<
    {
      user_id: string;
      target_ids: string[];
      period_target: string;
      ytd_target: string;
      annual: string;
      actual: string | null;
      ytd_actual: string | null;
      before_publish: boolean;
      leave_days: number;
      previous_streak: number;
    }[]
  >(
    `WITH per_leaf AS (
       SELECT t.id, t.owner_user_id AS user_id, t.published_at, sum(m.amount) AS annual,
              sum(CASE WHEN m.month < $2 THEN m.amount WHEN m.month = $2 THEN m.amount * $3 / $4 ELSE 0 END) AS e_start,
              sum(CASE WHEN m.month < $5 THEN m.amount WHEN m.month = $5 THEN m.amount * $6 / $7 ELSE 0 END) AS e_end
         FROM target t JOIN staff s ON s.user_id = t.owner_user_id JOIN target_month m ON m.target_id = t.id
        WHERE t.plan_id = $1 AND s.active AND ${liveLeafSql("t")}
        GROUP BY t.id, t.owner_user_id, t.published_at
     ), owner AS (
       SELECT user_id, array_agg(id ORDER BY id) AS target_ids, sum(e_end - e_start) AS period_target,
              sum(e_end) AS ytd_target, sum(annual) AS annual, max(published_at) AS published_at
         FROM per_leaf GROUP BY user_id
     ), in_force AS (
       SELECT DISTINCT ON (user_id, period) user_id, period, amount FROM progress_entry
        WHERE plan_id = $1 AND metric = $8::"Metric" AND period LIKE $9 AND period <= $10
        ORDER BY user_id, period, ${IN_FORCE_ORDER}
     ), figures AS (
       SELECT user_id, sum(amount) AS ytd, max(amount) FILTER (WHERE period = $10) AS actual
         FROM in_force GROUP BY user_id
     ), away AS (
       SELECT l.user_id, count(DISTINCT d.day)::int AS days
         FROM staff_leave l JOIN unnest(string_to_array($11, ',')::date[]) AS d(day)
           ON d.day BETWEEN l.from_date AND l.to_date
        WHERE l.cancelled_at IS NULL GROUP BY l.user_id
     )
     SELECT o.user_id, o.target_ids, o.period_target::text AS period_target, o.ytd_target::text AS ytd_target,
            o.annual::text AS annual, f.actual::text AS actual, f.ytd::text AS ytd_actual,
            COALESCE(o.published_at > $12::timestamptz, false) AS before_publish,
            COALESCE(a.days, 0) AS leave_days, COALESCE(prev.streak, 0) AS previous_streak
       FROM owner o
       LEFT JOIN figures f ON f.user_id = o.user_id
       LEFT JOIN away a ON a.user_id = o.user_id
       LEFT JOIN LATERAL (SELECT e.streak FROM period_evaluation e
                           WHERE e.plan_id = $1 AND e.user_id = o.user_id AND e.period < $10
                           ORDER BY e.period DESC LIMIT 1) prev ON true
      ORDER BY o.user_id`,
    plan.id,
    start.month,
    start.num,
    start.den,
    end.month,
    end.num,
    end.den,
    plan.metric,
    `${year}-%`,
    period,
    leaveDays.join(","),
    localDateTime(from, "00:00", plan.timezone),
  );
  return rows.map((r) => ({
    userId: r.user_id,
    targetIds: r.target_ids,
    periodTarget: BigInt(r.period_target),
    ytdTarget: BigInt(r.ytd_target),
    annualTarget: BigInt(r.annual),
    actual: r.actual === null ? null : BigInt(r.actual),
    ytdActual: r.ytd_actual === null ? 0n : BigInt(r.ytd_actual),
    startedBeforePublish: r.before_publish,
    leaveWorkdays: Number(r.leave_days),
    previousStreak: Number(r.previous_streak),
  }));
}
