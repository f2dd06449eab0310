import type { Calendar } from "./calendar.ts";
import { nextPeriodKey, parsePeriodKey, periodRange } from "./period-key.ts";

/**
 * Periods of a plan's cadence from `periodKey` (inclusive) to the end of `fiscalYear` that have at least one
 * workday inside the year: the periods still left to make up the annual target. An empty holiday week (the
 * Spring Festival week) is not a period anyone can sell in, so it does not count. 0 once the year is over.
 */
export function remainingWorkingPeriods(periodKey: string, fiscalYear: number, calendar: Calendar): number {
  const yearTo = `${fiscalYear}-12-31`;
  parsePeriodKey(periodKey);
  let count = 0;
  for (let key = periodKey; periodRange(key).from <= yearTo; key = nextPeriodKey(key)) {
    if (periodWorkdays(key, fiscalYear, calendar) > 0) count++;
  }
  return count;
}

/**
 * Workdays of a period inside `fiscalYear` (a week spanning New Year counts only its days of the plan year): the
 * days a period target accrues over (phasing.ts), and 0 for a period nobody can sell in.
 */
export function periodWorkdays(periodKey: string, fiscalYear: number, calendar: Calendar): number {
  const { from, to } = periodRange(periodKey);
  const yearFrom = `${fiscalYear}-01-01`;
  const yearTo = `${fiscalYear}-12-31`;
  // A period outside the year clips to an empty range, which has no workdays.
  return calendar.workdaysInRange(from < yearFrom ? yearFrom : from, to > yearTo ? yearTo : to);
}

/**
 * The run-rate now needed (docs/domain.md "Progress", 「每周需完成 …」): what is left of the annual target after the
 * year-to-date actual, spread evenly over the working periods left (this one included), rounded up to the
 * yuan so that keeping this pace reaches the target. 0 when the target is already met; the whole remainder
 * when no working period is left.
 */
export function requiredRunRate(a: { annualTarget: bigint; ytdActual: bigint; remainingPeriods: number }): bigint {
  const left = a.annualTarget - a.ytdActual;
  if (left <= 0n) return 0n;
  if (!Number.isSafeInteger(a.remainingPeriods) || a.remainingPeriods <= 0) return left;
  const n = BigInt(a.remainingPeriods);
  return (left + n - 1n) / n;
}
