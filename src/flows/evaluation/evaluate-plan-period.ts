import type { AppDeps } from "../../app-deps.ts";
import { evaluatePeriod } from "../../domain/evaluate-period.ts";
import { nextStreak } from "../../domain/miss-streak.ts";
import { nextPeriodKey } from "../../domain/period-key.ts";
import { periodWorkdays, remainingWorkingPeriods, requiredRunRate } from "../../domain/run-rate.ts";
import { type EscalationCounts, escalateAfterEvaluation } from "../escalation/escalate-after-evaluation.ts";
import { markPromptsEvaluated } from "../progress/prompt-evaluated.ts";
import { ownerPeriodFacts } from "./owner-period-facts.ts";
import type { EvaluatedPlan, StoredEvaluation } from "./period-evaluated.ts";

/** What evaluating one plan-period did (summed into the evaluate job's result). */
export interface PlanPeriodOutcome extends EscalationCounts {
  /** False when the period had been evaluated before (by another replica or an earlier run): nothing done. */
  evaluated: boolean;
  owners: number;
  met: number;
  missed: number;
  excused: number;
  /** Prompt cards redrawn as 已评估. */
  prompts: number;
}

const NOTHING: Omit<PlanPeriodOutcome, "evaluated"> = {
  owners: 0,
  met: 0,
  missed: 0,
  excused: 0,
  prompts: 0,
  opened: 0,
  raised: 0,
  resolved: 0,
  closed: 0,
  warnings: 0,
};

/**
 * Evaluates every owner of one plan for one closed period (docs/domain.md "Evaluation and escalation"), in one
 * transaction: the evaluated_period row is the claim (a second run, or another replica at the same moment,
 * inserts nothing and stops); the owners' facts are read in one statement, judged by the pure rules
 * (evaluatePeriod, nextStreak), stored in one statement, and handed to escalation and the prompt cards, which
 * queue their messages in the same transaction — a crash half-way leaves nothing behind, so the next run
 * does it all once.
 */
export async function evaluatePlanPeriod(
  deps: AppDeps,
  plan: EvaluatedPlan,
  period: string,
  at: Date,
): Promise<PlanPeriodOutcome> {
  return deps.db.prisma.$transaction(
    async (tx) => {
      const claimed = await tx.$executeRawUnsafe(
        `INSERT INTO evaluated_period (plan_id, period, run_at, owners) VALUES ($1, $2, $3, 0)
         ON CONFLICT (plan_id, period) DO NOTHING`,
        plan.id,
        period,
        at,
      );
      if (claimed === 0) return { evaluated: false, ...NOTHING };
      const facts = await ownerPeriodFacts(tx, plan, period, deps.calendar);
      const workdays = periodWorkdays(period, plan.fiscalYear, deps.calendar);
      const remaining = remainingWorkingPeriods(nextPeriodKey(period), plan.fiscalYear, deps.calendar);
      const evaluations: StoredEvaluation[] = facts.map((f) => {
        const verdict = evaluatePeriod({
          periodTarget: f.periodTarget,
          actual: f.actual,
          missThreshold: plan.missThreshold,
          workdaysInPeriod: workdays,
          periodStartedBeforePublish: f.startedBeforePublish,
          leaveWorkdays: f.leaveWorkdays,
        });
        return {
          userId: f.userId,
          period,
          targetIds: f.targetIds,
          target: f.periodTarget,
          actual: f.actual,
          attainment: verdict.attainment,
          status: verdict.status,
          reason: verdict.reason,
          streak: nextStreak(f.previousStreak, verdict.status),
          previousStreak: f.previousStreak,
          ytdActual: f.ytdActual,
          ytdTarget: f.ytdTarget,
          annualTarget: f.annualTarget,
          requiredRunRate: requiredRunRate({
            annualTarget: f.annualTarget,
            ytdActual: f.ytdActual,
            remainingPeriods: remaining,
          }),
        };
      });
      await tx.$executeRawUnsafe(
        `INSERT INTO period_evaluation (plan_id, period, user_id, target_ids, target, actual, attainment, status,
                                        reason, streak, ytd_actual, ytd_target, annual_target, required_run_rate)
         SELECT $1, $2, x.user_id, x.target_ids, x.target, x.actual, x.attainment, x.status, x.reason, x.streak,
                x.ytd_actual, x.ytd_target, x.annual_target, x.required_run_rate
           FROM jsonb_to_recordset($3::jsonb) AS x(user_id text, target_ids text[], target bigint, actual bigint,
                attainment double precision, status "EvaluationStatus", reason text, streak int, ytd_actual bigint,
                ytd_target bigint, annual_target bigint, required_run_rate bigint)`,
        plan.id,
        period,
        JSON.stringify(evaluations.map(toRow)),
      );
      await tx.$executeRawUnsafe(
        "UPDATE evaluated_period SET owners = $3 WHERE plan_id = $1 AND period = $2",
        plan.id,
        period,
        evaluations.length,
      );
      const event = { plan, period, at, evaluations };
      const escalations = await escalateAfterEvaluation(tx, deps, event);
      const prompts = await markPromptsEvaluated(tx, deps, event);
      const count = (s: StoredEvaluation["status"]) => evaluations.filter((e) => e.status === s).length;
      return {
        evaluated: true,
        owners: evaluations.length,
        met: count("MET"),
        missed: count("MISSED"),
        excused: count("EXCUSED"),
        prompts,
        ...escalations,
      };
    },
    { timeout: 300_000, maxWait: 60_000 },
  );
}

/** A StoredEvaluation as the JSON row jsonb_to_recordset reads (amounts as exact strings). */
function toRow(e: StoredEvaluation) {
  const text = (v: bigint | null) => (v === null ? null : v.toString());
  return {
    user_id: e.userId,
    target_ids: e.targetIds,
    target: text(e.target),
    actual: text(e.actual),
    attainment: e.attainment,
    status: e.status,
    reason: e.reason,
    streak: e.streak,
    ytd_actual: text(e.ytdActual),
    ytd_target: text(e.ytdTarget),
    annual_target: text(e.annualTarget),
    required_run_rate: text(e.requiredRunRate),
  };
}
