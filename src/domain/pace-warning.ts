import { validationError } from "../lib/errors.ts";
import { attainment } from "./attainment.ts";

/*
 * 风险预警 (docs/domain.md "Evaluation and escalation"): whether an owner gets a pace warning after a period's
 * evaluation. Pure: the flow sends at most one per owner and period (its key) and adds the run-rate now needed.
 */

/** Default margin: year-to-date attainment more than 10 points behind expected-to-date warns. */
export const DEFAULT_PACE_MARGIN = 0.1;

/** Why a warning goes out: the first miss of a streak, or falling behind the year's pace (both may hold). */
export type PaceWarningCause = "FIRST_MISS" | "BEHIND_PACE";

export interface PaceWarning {
  warn: boolean;
  causes: PaceWarningCause[];
  /** Expected-to-date less the year-to-date actual: how much the owner is behind (negative when ahead). */
  gap: bigint;
  /** Year-to-date actual ÷ expected-to-date, 4 decimals; null while nothing is expected yet. */
  ytdAttainment: number | null;
}

/**
 * The pace-warning rule, evaluated once per owner and period after the evaluation:
 * - the period was the **first miss** of a streak (streakStep's `firstMiss`), or
 * - the year-to-date actual is **more than `margin` behind** what is expected to date — attainment against
 *   expected-to-date (phasing.ts expectedToDate, through the last day of the evaluated period) below
 *   1 − margin, compared exactly: 10 points behind on the dot does not warn yet;
 *
 * and the owner is not on leave (an EXCUSED ON_LEAVE period warns nobody).
 *
 * @throws AppError VALIDATION for a margin outside [0, 1) or negative amounts.
 */
export function paceWarning(a: {
  ytdActual: bigint;
  expectedToDate: bigint;
  firstMiss: boolean;
  onLeave: boolean;
  margin?: number;
}): PaceWarning {
  const margin = a.margin ?? DEFAULT_PACE_MARGIN;
  if (!(Number.isFinite(margin) && margin >= 0 && margin < 1) || a.ytdActual < 0n || a.expectedToDate < 0n) {
    throw validationError(`预警参数无效：margin ${String(margin)}`, [{ field: "margin", message: "应在 0 到 1 之间" }]);
  }
  const floorBasisPoints = 10_000n - BigInt(Math.round(margin * 10_000));
  // With nothing expected yet (1 January) no actual is below 0: nobody is behind.
  const behind = a.ytdActual * 10_000n < floorBasisPoints * a.expectedToDate;
  const causes: PaceWarningCause[] = [];
  if (a.firstMiss) causes.push("FIRST_MISS");
  if (behind) causes.push("BEHIND_PACE");
  return {
    warn: !a.onLeave && causes.length > 0,
    causes,
    gap: a.expectedToDate - a.ytdActual,
    ytdAttainment: attainment(a.ytdActual, a.expectedToDate),
  };
}
