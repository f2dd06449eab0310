import type { Calendar } from "./calendar.ts";
import { periodRange } from "./period-key.ts";
import { addDays, assertIsoDate, type DateRange } from "./plain-date.ts";

/**
 * Workdays of a period that fall inside any of a person's leaves (inclusive date ranges), each day counted once
 * even where leaves overlap: the `leaveWorkdays` of evaluatePeriod (evaluate-period.ts), which excuses the
 * period when they reach half of its workdays. Day by day: a period is at most a quarter, leaves are few.
 */
export function leaveWorkdays(periodKey: string, leaves: readonly DateRange[], calendar: Calendar): number {
  for (const leave of leaves) {
    assertIsoDate(leave.from, "from");
    assertIsoDate(leave.to, "to");
  }
  const { from, to } = periodRange(periodKey);
  let count = 0;
  for (let day = from; day <= to; day = addDays(day, 1)) {
    if (calendar.isWorkday(day) && leaves.some((l) => l.from <= day && day <= l.to)) count++;
  }
  return count;
}
