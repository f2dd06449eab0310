import type { EvaluationReason, EvaluationStatus } from "../../domain/evaluate-period.ts";
import type { Cadence, Metric } from "../../generated/prisma/client.ts";

/*
 * What the evaluation of one plan-period hands to the flows that act on it (escalation, pace warnings, the
 * prompt cards' 已评估), inside the transaction that stored it: they run exactly once with it, or not at all.
 */

/** The plan an evaluation was for, with the settings the flows after it need. */
export interface EvaluatedPlan {
  id: string;
  name: string;
  fiscalYear: number;
  metric: Metric;
  cadence: Cadence;
  timezone: string;
  ownerUserId: string;
  missThreshold: number;
  escalateAfter: number;
}

/** One owner's stored verdict (a period_evaluation row) and the streak it followed. */
export interface StoredEvaluation {
  userId: string;
  period: string;
  targetIds: string[];
  target: bigint;
  actual: bigint | null;
  attainment: number | null;
  status: EvaluationStatus;
  reason: EvaluationReason | null;
  streak: number;
  /** The streak stored with the owner's previous evaluation of this plan (0 for the first). */
  previousStreak: number;
  /** Year to date through the end of the period: figures in force, and expected by the months. */
  ytdActual: bigint;
  ytdTarget: bigint;
  annualTarget: bigint;
  /** What each working period left after this one must bring in (run-rate.ts requiredRunRate). */
  requiredRunRate: bigint;
}

/** A plan-period just evaluated: every owner's new row (only rows this run inserted). */
export interface PeriodEvaluated {
  plan: EvaluatedPlan;
  period: string;
  /** The instant the run was for (the schedule's 12:00, or the API's `at`). */
  at: Date;
  evaluations: StoredEvaluation[];
}
