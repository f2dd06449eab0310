import { validationError } from "../lib/errors.ts";
import { attainment } from "./attainment.ts";

/*
 * The verdict on one owner's period (docs/domain.md "Evaluation and escalation"). Pure: the flow gathers the
 * figures (the period target by working days, the figure in force, the owner's leave) and stores the result.
 */

export type EvaluationStatus = "MET" | "MISSED" | "EXCUSED";

/** Why a period was missed (BELOW_TARGET, NO_REPORT) or excused (the other three); null when met. */
export type EvaluationReason = "BELOW_TARGET" | "NO_REPORT" | "NO_WORKDAYS" | "BEFORE_PUBLISH" | "ON_LEAVE";

export interface PeriodFacts {
  /** The owner's period target: their leaves' months by working days (phasing.ts expectedForPeriod), summed. */
  periodTarget: bigint;
  /** The figure in force (IMPORT beats SELF_REPORT, latest wins); null when nothing was reported. */
  actual: bigint | null;
  /** The plan's missThreshold: attainment below it is a miss (1 = the whole period target). */
  missThreshold: number;
  /** Workdays in the period (inside the plan year). */
  workdaysInPeriod: number;
  /** The period began before the owner's current target version was published (see periodBeganBefore). */
  periodStartedBeforePublish: boolean;
  /** Workdays of the period the owner is on leave (see leaveWorkdays). */
  leaveWorkdays: number;
}

export interface PeriodEvaluation {
  status: EvaluationStatus;
  reason: EvaluationReason | null;
  /** actual ÷ period target, 4 decimals (attainment.ts); null without a report or without a target. */
  attainment: number | null;
}

/**
 * Evaluates one owner-period. The first rule that applies decides:
 *
 * 1. no workdays in the period → EXCUSED `NO_WORKDAYS` (the Spring Festival week: nobody can sell in it);
 * 2. the period began before the owner's current target version was published → EXCUSED `BEFORE_PUBLISH`
 *    (the week a target arrives never counts against anyone, nor does a week judged by a target that changed
 *    in the middle of it);
 * 3. on leave for at least half the period's workdays → EXCUSED `ON_LEAVE`. Half, not every day: a rep away
 *    Monday to Wednesday cannot fairly be held to the week's target, while one day off in a month can be
 *    made up. Less than half counts normally;
 * 4. nothing reported → MISSED `NO_REPORT` (also for a period target of 0: saying 「没有成交」 is the report);
 * 5. attainment below missThreshold → MISSED `BELOW_TARGET`, compared exactly (actual < threshold × target,
 *    the threshold to 4 decimals), so a figure one yuan short of a 100% threshold is a miss even where the
 *    rounded attainment shows 1.0000;
 * 6. otherwise MET — including any report against a period target of 0, which nothing can fall short of.
 *
 * @throws AppError VALIDATION for a negative target, workday count, leave count or a threshold not above 0.
 */
export function evaluatePeriod(f: PeriodFacts): PeriodEvaluation {
  assertFacts(f);
  const att = attainment(f.actual, f.periodTarget);
  const excused = (reason: EvaluationReason): PeriodEvaluation => ({ status: "EXCUSED", reason, attainment: att });
  if (f.workdaysInPeriod === 0) return excused("NO_WORKDAYS");
  if (f.periodStartedBeforePublish) return excused("BEFORE_PUBLISH");
  if (isExcusedByLeave(f.leaveWorkdays, f.workdaysInPeriod)) return excused("ON_LEAVE");
  if (f.actual === null) return { status: "MISSED", reason: "NO_REPORT", attainment: null };
  if (f.actual * BASIS < thresholdBasisPoints(f.missThreshold) * f.periodTarget) {
    return { status: "MISSED", reason: "BELOW_TARGET", attainment: att };
  }
  return { status: "MET", reason: null, attainment: att };
}

/** Rule 3 of {@link evaluatePeriod}: on leave for at least half of the period's workdays. */
export function isExcusedByLeave(leaveWorkdays: number, workdaysInPeriod: number): boolean {
  return workdaysInPeriod > 0 && leaveWorkdays * 2 >= workdaysInPeriod;
}

const BASIS = 10_000n;

/** The threshold in basis points (1 → 10000, 0.85 → 8500), for exact comparison with amounts. */
export function thresholdBasisPoints(threshold: number): bigint {
  return BigInt(Math.round(threshold * 10_000));
}

function assertFacts(f: PeriodFacts): void {
  const problems = [
    typeof f.periodTarget !== "bigint" || f.periodTarget < 0n ? "periodTarget" : null,
    f.actual !== null && typeof f.actual !== "bigint" ? "actual" : null,
    !(Number.isFinite(f.missThreshold) && f.missThreshold > 0) ? "missThreshold" : null,
    !(Number.isSafeInteger(f.workdaysInPeriod) && f.workdaysInPeriod >= 0) ? "workdaysInPeriod" : null,
    !(Number.isSafeInteger(f.leaveWorkdays) && f.leaveWorkdays >= 0) ? "leaveWorkdays" : null,
  ].filter((p) => p !== null);
  if (problems.length > 0) {
    throw validationError(
      `评估输入无效：${problems.join("、")}`,
      problems.map((field) => ({ field, message: "无效" })),
    );
  }
}
