import type { Calendar } from "./calendar.ts";
import { onLeave, periodWorkdayDates } from "./leave-dates.ts";
import { assertIsoDate, type DateRange } from "./plain-date.ts";

/**
 * Workdays of a period that fall inside any of a person's leaves (inclusive date ranges), each day counted once
 * even where leaves overlap: the `leaveWorkdays` of evaluatePeriod (evaluate-period.ts), which excuses the
 * period when they reach half of its workdays.
 */
export function leaveWorkdays(periodKey: string, leaves: readonly DateRange[], calendar: Calendar): number {
  for (const leave of leaves) {
    assertIsoDate(leave.from, "from");
    assertIsoDate(leave.to, "to");
  }
  return periodWorkdayDates(periodKey, calendar).filter((day) => onLeave(day, leaves)).length;
}
