import { validationError } from "../lib/errors.ts";
import { isIsoDate } from "./holiday-overrides.ts";

/*
 * Plain calendar dates "YYYY-MM-DD" (they compare correctly as strings). Arithmetic runs on UTC epoch days, so
 * the host's time zone never leaks in; only zoned-time.ts deals with instants and zones. The epoch-day helpers
 * are exported for the other calendar modules (calendar.ts, period-key.ts), which count in days too.
 */

/** An inclusive range of plain dates. */
export interface DateRange {
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

/** `date` moved by `n` calendar days. */
export function addDays(date: string, n: number): string {
  return fromEpochDay(toEpochDay(date) + n);
}

/** ISO weekday: 1 = Monday … 7 = Sunday. */
export function isoWeekday(date: string): number {
  return weekdayOfDay(toEpochDay(date));
}

/** Days in a month (month 1–12). */
export function daysInMonth(year: number, month: number): number {
  assertYearMonth(year, month);
  return epochDayOf(year, month + 1, 1) - epochDayOf(year, month, 1);
}

/** Throws a VALIDATION error naming `field` unless `date` is a real "YYYY-MM-DD" date. */
export function assertIsoDate(date: string, field = "date"): void {
  toEpochDay(date, field);
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: string, to: string): number {
  return toEpochDay(to, "to") - toEpochDay(from, "from");
}

/** Epoch day (days since 1970-01-01) of a real "YYYY-MM-DD" date; a VALIDATION error naming `field` otherwise. */
export function toEpochDay(date: string, field = "date"): number {
  if (!isIsoDate(date)) {
    throw validationError(`日期「${String(date)}」无效，应为 YYYY-MM-DD 格式的真实日期`, [
      { field, message: "日期无效" },
    ]);
  }
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** Public entry points take a year 1000–9999 and a month 1–12. */
export function assertYearMonth(year: number, month: number): void {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw validationError(`年份无效：${String(year)}`, [{ field: "year", message: "年份应为 1000–9999 的整数" }]);
  }
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw validationError(`月份无效：${String(month)}`, [{ field: "month", message: "月份应为 1–12 的整数" }]);
  }
}

/** Epoch day of a date; month 13 / day 0 roll over as in Date.UTC, which the month-end helpers rely on. */
export function epochDayOf(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

/** The "YYYY-MM-DD" of an epoch day. */
export function fromEpochDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The year an epoch day falls in. */
export function yearOfDay(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

/** ISO weekday (1 = Monday … 7 = Sunday) of an epoch day. */
export function weekdayOfDay(day: number): number {
  // 1970-01-01 was a Thursday (ISO weekday 4).
  return ((((day + 3) % 7) + 7) % 7) + 1;
}
