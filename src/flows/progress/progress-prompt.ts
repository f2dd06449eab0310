import type { TProgressCardInput } from "../../../cards/progress.ts";
import type { Database, Tx } from "../../db/database.ts";
import type { Calendar } from "../../domain/calendar.ts";
import { EVALUATION_TIME, evaluationDay } from "../../domain/job-schedules.ts";
import { periodRange } from "../../domain/period-key.ts";
import { expectedToDate } from "../../domain/phasing.ts";
import { addDays } from "../../domain/plain-date.ts";
import { remainingWorkingPeriods, requiredRunRate } from "../../domain/run-rate.ts";
import { localDateTime } from "../../domain/zoned-time.ts";
import { planNotFound } from "../../plans/plan-errors.ts";
import {
  type FigureInForce,
  figuresInForce,
  IN_FORCE_ORDER,
  leafPeriodTarget,
  ownerLeaves,
} from "./progress-queries.ts";

/** One person's prompt: what the card shows, and their figure for the period when they already gave one. */
export interface ProgressPrompt {
  input: TProgressCardInput;
  /** The figure in force for this period (IMPORT beats SELF_REPORT, latest wins); null before any report. */
  reported: { amount: bigint; newCustomers: bigint | undefined; at: Date } | null;
}

/**
 * What each owner's progress prompt for one period of a plan shows (docs/domain.md "Progress"), read from the
 * database: the period target (each of the person's leaves' months, by working days, as plan-progress.ts
 * computes it), the year-to-date actual and target up to the start of the period, the run-rate now needed and
 * when the period is evaluated. A person owning several leaves gets one prompt with the sums.
 *
 * Used by the weekly-prompt job to send the card and by anything that re-renders it (a report, evaluation).
 * Only active staff get a prompt; `userId` narrows the result to one person; `presentOn` (a period's workdays)
 * leaves out those away on all of them (docs/domain.md "Leave").
 */
export async function progressPromptInputs(
  on: Database | Tx,
  a: { planId: string; period: string; calendar: Calendar; userId?: string; presentOn?: readonly string[] },
): Promise<ProgressPrompt[]> {
  // Inside a caller's transaction the reads must use it: PGlite has one connection.
  const db: Tx = "prisma" in on ? on.prisma : on;
  const plan = await db.plan.findUnique({ where: { id: a.planId } });
  if (!plan) throw planNotFound(a.planId);
  const { from } = periodRange(a.period);
  const leaves = (await ownerLeaves(db, a.planId, a.userId, a.presentOn)).filter((l) => l.active);
  // The figure in force per earlier period (IMPORT beats SELF_REPORT, latest wins), summed per person.
  const actuals = await db.$queryRawUnsafe<{ user_id: string; ytd: string }[]>(
    `SELECT user_id, sum(amount)::text AS ytd FROM (
       SELECT DISTINCT ON (user_id, period) user_id, amount FROM progress_entry
        WHERE plan_id = $1 AND metric = $2::"Metric" AND period LIKE $3 AND period < $4
          AND ($5::text IS NULL OR user_id = $5)
        ORDER BY user_id, period, ${IN_FORCE_ORDER}) latest
     GROUP BY user_id`,
    a.planId,
    plan.metric,
    `${plan.fiscalYear}-%`,
    a.period,
    a.userId ?? null,
  );
  const ytdActual = new Map(actuals.map((r) => [r.user_id, BigInt(r.ytd)]));
  const current = await figuresInForce(db, {
    planId: a.planId,
    metric: plan.metric,
    period: a.period,
    userId: a.userId,
  });
  const remaining = remainingWorkingPeriods(a.period, plan.fiscalYear, a.calendar);
  const dueAt = localDateTime(evaluationDay(a.period, a.calendar), EVALUATION_TIME, plan.timezone);
  const byOwner = new Map<string, TProgressCardInput>();
  for (const leaf of leaves) {
    const months = leaf.months;
    const p = byOwner.get(leaf.userId) ?? {
      owner: { userId: leaf.userId, name: leaf.name },
      metric: plan.metric,
      period: a.period,
      periodTarget: 0n,
      annualTarget: 0n,
      ytdActual: ytdActual.get(leaf.userId) ?? 0n,
      ytdTarget: 0n,
      requiredRunRate: 0n,
      dueAt,
    };
    p.periodTarget += leafPeriodTarget(leaf, plan.fiscalYear, a.period, a.calendar);
    p.annualTarget += months.reduce((s, m) => s + m, 0n);
    p.ytdTarget += expectedToDate(months, plan.fiscalYear, addDays(from, -1), a.calendar);
    byOwner.set(leaf.userId, p);
  }
  const prompts = [...byOwner.values()].map((p) => ({
    input: {
      ...p,
      requiredRunRate: requiredRunRate({
        annualTarget: p.annualTarget,
        ytdActual: p.ytdActual,
        remainingPeriods: remaining,
      }),
    },
    reported: reportedFigure(current.get(p.owner.userId)),
  }));
  return prompts.sort((x, y) => x.input.owner.userId.localeCompare(y.input.owner.userId));
}

function reportedFigure(f: FigureInForce | undefined): ProgressPrompt["reported"] {
  if (!f) return null;
  return { amount: f.amount, newCustomers: f.newCustomers === null ? undefined : BigInt(f.newCustomers), at: f.at };
}
