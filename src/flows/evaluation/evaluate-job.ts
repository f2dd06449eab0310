import type { AppDeps } from "../../app-deps.ts";
import { EVALUATION_TIME, evaluateRule } from "../../domain/job-schedules.ts";
import { periodRange } from "../../domain/period-key.ts";
import { periodsClosedBetween } from "../../domain/periods-closed-between.ts";
import { localDate, localDateTime } from "../../domain/zoned-time.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { eachPlanIsolated, PlanFailuresError } from "../../scheduler/plan-failures.ts";
import { evaluatePlanPeriod, type PlanPeriodOutcome } from "./evaluate-plan-period.ts";
import type { EvaluatedPlan } from "./period-evaluated.ts";

/** One plan-period the run evaluated, with its counts (the run's result lists them). */
export interface EvaluatedRun extends Omit<PlanPeriodOutcome, "evaluated"> {
  planId: string;
  period: string;
}

/**
 * evaluate, every workday at 12:00 (docs/domain.md "Evaluation and escalation"): for every published plan, each
 * period of its cadence that has closed by `at` since the plan was first published and is not evaluated yet,
 * oldest first (a catch-up after downtime keeps streaks right), each in its own transaction
 * (evaluatePlanPeriod), which also opens, raises and resolves escalations. Escalations left 2 workdays without
 * action go up in the escalation flow's own job at 12:30, after a miss has had its say. Safe to repeat: an
 * evaluated period is never evaluated again.
 */
export const evaluateJob: ScheduledJob<AppDeps> = {
  id: "evaluate",
  rule: evaluateRule,
  async run(deps, day, at = localDateTime(day, EVALUATION_TIME, deps.config.timezone)) {
    deps.outbound.assertConnected();
    const evaluated: EvaluatedRun[] = [];
    // Plan by plan: a plan that fails (a bad stored time zone, a data problem) is named, the others go on.
    const { failed } = await eachPlanIsolated(
      await publishedPlanRows(deps),
      async (row) => {
        const { plan, periods } = periodsToEvaluate(deps, row, at);
        for (const period of periods) {
          const { evaluated: done, ...counts } = await evaluatePlanPeriod(deps, plan, period, at);
          if (done) evaluated.push({ planId: plan.id, period, ...counts });
        }
      },
      (row, err) => deps.log.error({ err, planId: row.id }, "evaluate: this plan failed; the other plans go on"),
    );
    const result = { at: at.toISOString(), evaluated };
    if (failed.length > 0) throw new PlanFailuresError(failed, { ...result, failed });
    return result;
  },
};

type PlanRow = {
  id: string;
  name: string;
  fiscal_year: number;
  metric: EvaluatedPlan["metric"];
  cadence: EvaluatedPlan["cadence"];
  timezone: string;
  owner_user_id: string;
  miss_threshold: number;
  escalate_after: number;
  first_published: Date | null;
  evaluated: string[];
};

/** Published plans with when their first target was published and the periods evaluated so far. */
function publishedPlanRows(deps: AppDeps): Promise<PlanRow[]> {
  return deps.db.sql.query<PlanRow>(
    `SELECT p.id, p.name, p.fiscal_year, p.metric::text AS metric, p.cadence::text AS cadence, p.timezone,
            p.owner_user_id, p.miss_threshold, p.escalate_after,
            (SELECT min(t.published_at) FROM target t WHERE t.plan_id = p.id) AS first_published,
            ARRAY(SELECT e.period FROM evaluated_period e WHERE e.plan_id = p.id) AS evaluated
       FROM plan p WHERE p.status = 'PUBLISHED' ORDER BY p.created_at, p.id`,
  );
}

/**
 * A published plan's periods closed by `at` that still need evaluating, oldest first: from the period in
 * which its first target was published (evaluated as excused: it began before) to the last closed by `at`,
 * inside the plan year, less those evaluated before.
 */
function periodsToEvaluate(deps: AppDeps, p: PlanRow, at: Date): { plan: EvaluatedPlan; periods: string[] } {
  const plan: EvaluatedPlan = {
    id: p.id,
    name: p.name,
    fiscalYear: p.fiscal_year,
    metric: p.metric,
    cadence: p.cadence,
    timezone: p.timezone,
    ownerUserId: p.owner_user_id,
    missThreshold: Number(p.miss_threshold),
    escalateAfter: p.escalate_after,
  };
  if (p.first_published === null) return { plan, periods: [] };
  const done = new Set(p.evaluated);
  const year = String(p.fiscal_year);
  // A period that had ended before the plan was published (it closes on the next Monday noon, after a
  // Monday-morning publish) was never the plan's: it is not evaluated at all.
  const publishedOn = localDate(new Date(p.first_published), plan.timezone);
  const periods = periodsClosedBetween({
    cadence: plan.cadence,
    after: new Date(p.first_published),
    upTo: at,
    timezone: plan.timezone,
    calendar: deps.calendar,
  }).filter((k) => {
    const { from, to } = periodRange(k);
    return !done.has(k) && to >= publishedOn && from <= `${year}-12-31` && to >= `${year}-01-01`;
  });
  return { plan, periods };
}
