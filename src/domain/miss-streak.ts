import { validationError } from "../lib/errors.ts";
import type { Calendar } from "./calendar.ts";
import type { EvaluationStatus } from "./evaluate-period.ts";
import { fullWorkdaysBetween } from "./job-schedules.ts";

/*
 * The consecutive-miss streak and what each evaluation does to an owner's escalation (docs/domain.md
 * "Evaluation and escalation"). Pure: the flow stores the streak with each evaluation and acts on the step.
 */

/**
 * What an evaluation does to the owner's escalation:
 * - OPEN: the streak reached the plan's escalateAfter and none is open — the direct manager gets the card;
 * - RAISE: a further miss while one is open — it goes one level up the manager chain;
 * - RESOLVE: the first MET period while one is open — it closes (已恢复);
 * - null: nothing changes (an EXCUSED period never opens, raises or resolves anything).
 */
export type EscalationStep = "OPEN" | "RAISE" | "RESOLVE" | null;

export interface StreakStep {
  /** The streak stored with this evaluation. */
  streak: number;
  escalation: EscalationStep;
  /** This miss starts a streak (the streak went from 0 to 1): the moment for a pace warning (pace-warning.ts). */
  firstMiss: boolean;
}

/**
 * The streak after a period: MISSED adds one, MET resets it to 0, EXCUSED leaves it as it was — so the streak is
 * the number of MISSED periods since the last MET, EXCUSED ones ignored.
 */
export function nextStreak(previous: number, status: EvaluationStatus): number {
  assertCount(previous, "previousStreak");
  if (status === "MISSED") return previous + 1;
  return status === "MET" ? 0 : previous;
}

/**
 * One evaluation's effect, given the streak stored with the owner's previous evaluation of this plan (0 for the
 * first), this period's status, the plan's escalateAfter and whether an escalation is open. An escalation
 * opens once the streak reaches escalateAfter (also above it, should none be open by then) and stays open
 * until a MET period resolves it; every miss in between raises it one level.
 *
 * @throws AppError VALIDATION for a negative or fractional streak or an escalateAfter below 1.
 */
export function streakStep(a: {
  previousStreak: number;
  status: EvaluationStatus;
  escalateAfter: number;
  escalationOpen: boolean;
}): StreakStep {
  assertCount(a.escalateAfter, "escalateAfter", 1);
  const streak = nextStreak(a.previousStreak, a.status);
  const firstMiss = a.status === "MISSED" && streak === 1;
  if (a.status === "MET") return { streak, escalation: a.escalationOpen ? "RESOLVE" : null, firstMiss };
  if (a.status === "EXCUSED") return { streak, escalation: null, firstMiss };
  if (a.escalationOpen) return { streak, escalation: "RAISE", firstMiss };
  return { streak, escalation: streak >= a.escalateAfter ? "OPEN" : null, firstMiss };
}

/** docs/domain.md "Evaluation and escalation": an addressee who does nothing for 2 workdays is passed over. */
export const ESCALATION_ACTION_WORKDAYS = 2;

/**
 * True when an escalation card queued on `sentDate` has waited {@link ESCALATION_ACTION_WORKDAYS} full workdays
 * without action by `today` (neither day counted, as confirm reminders count): a card of Monday's evaluation
 * goes up on Thursday, after Tuesday and Wednesday; across National Day, later.
 */
export function escalationOverdue(sentDate: string, today: string, calendar: Calendar): boolean {
  return fullWorkdaysBetween(sentDate, today, calendar) >= ESCALATION_ACTION_WORKDAYS;
}

function assertCount(value: number, field: string, min = 0): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw validationError(`${field} 必须是不小于 ${min} 的整数，收到 ${String(value)}`, [
      { field, message: "数值无效" },
    ]);
  }
}
