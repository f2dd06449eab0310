import { validationError } from "../lib/errors.ts";
import type { Calendar } from "./calendar.ts";
import { periodRange } from "./period-key.ts";
import { addDays, type DateRange, daysBetween, isoWeekday } from "./plain-date.ts";

/*
 * Leave (docs/domain.md "Leave"): a person away from `from` through `to`, plain dates, both inclusive. The rule
 * of the jobs that stop prompting and reminding (evaluation excuses a period at half its workdays instead, see
 * leave-workdays.ts): a person is AWAY FOR A PERIOD when every workday of it falls inside one of their (not
 * cancelled) leaves — a
 * leave of Monday–Wednesday does not excuse a five-day week, two leaves of Monday–Wednesday and
 * Thursday–Friday do. A period with no workday is never "away" (it has nothing to miss, and is excused for
 * that reason already). The SQL twin of {@link awayForPeriod} is `awayOnAllSql` in src/flows/leave/leave-sql.ts,
 * fed with {@link periodWorkdayDates}.
 */

/** A leave longer than a year is a typing mistake, not a leave (README "Admin API"). */
export const MAX_LEAVE_DAYS = 366;

/** The dates a person must be away on for the whole period to count as away: its workdays, in order. */
export function periodWorkdayDates(period: string, calendar: Calendar): string[] {
  const { from, to } = periodRange(period);
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) if (calendar.isWorkday(d)) days.push(d);
  return days;
}

/** True when `workdays` is not empty and every one of them lies inside one of `leaves`. */
export function awayForPeriod(leaves: readonly DateRange[], workdays: readonly string[]): boolean {
  return workdays.length > 0 && workdays.every((d) => onLeave(d, leaves));
}

/** True when `day` lies inside one of `leaves` (inclusive). */
export function onLeave(day: string, leaves: readonly DateRange[]): boolean {
  return leaves.some((l) => l.from <= day && day <= l.to);
}

/**
 * Throws a VALIDATION error (Chinese, naming the field) unless `range` is a leave worth storing: real dates,
 * `to` not before `from`, at most {@link MAX_LEAVE_DAYS} days, and starting within a year of `today` either way.
 */
export function assertLeaveRange(range: DateRange, today: string): void {
  const days = daysBetween(range.from, range.to) + 1; // throws on a date that is not real
  if (days < 1) {
    throw validationError(`结束日期 ${range.to} 早于开始日期 ${range.from}`, [
      { field: "to", message: "结束日期早于开始日期" },
    ]);
  }
  if (days > MAX_LEAVE_DAYS) {
    throw validationError(`休假 ${days} 天超过一年（最多 ${MAX_LEAVE_DAYS} 天），请检查日期`, [
      { field: "to", message: `休假最长 ${MAX_LEAVE_DAYS} 天` },
    ]);
  }
  if (Math.abs(daysBetween(today, range.from)) > MAX_LEAVE_DAYS) {
    throw validationError(`开始日期 ${range.from} 距今天（${today}）超过一年，请检查日期`, [
      { field: "from", message: "开始日期距今超过一年" },
    ]);
  }
}

const WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/** 「12月8日（周一）」 */
export function formatLeaveDay(date: string): string {
  return `${Number(date.slice(5, 7))}月${Number(date.slice(8, 10))}日（${WEEKDAYS[isoWeekday(date) - 1]}）`;
}

/** 「12月8日（周一）至12月12日（周五）」, one day 「12月8日（周一）」; the year only when it is not `today`'s. */
export function formatLeaveRange(range: DateRange, today: string): string {
  const day = (d: string) => `${d.slice(0, 4) === today.slice(0, 4) ? "" : `${d.slice(0, 4)}年`}${formatLeaveDay(d)}`;
  return range.from === range.to ? day(range.from) : `${day(range.from)}至${day(range.to)}`;
}
