import { validationError } from "../lib/errors.ts";
import type { HolidayOverrides, YearDayRules } from "./holiday-overrides.ts";
import { holidayRulesByYear } from "./holiday-overrides.ts";
import {
  assertYearMonth,
  daysInMonth,
  epochDayOf,
  fromEpochDay,
  toEpochDay,
  weekdayOfDay,
  yearOfDay,
} from "./plain-date.ts";

/*
 * The business calendar: which plain dates are workdays in China (weekends, public holidays, 调休 make-up
 * days), bound to one set of holiday data. Plain dates, period keys and zoned time live in plain-date.ts,
 * period-key.ts and zoned-time.ts.
 */

/** Where a year's holiday data comes from; NONE means weekdays are assumed to be workdays (warn about it). */
export type YearCoverage = "OVERRIDE" | "BUILT_IN" | "NONE";

/** Working-day functions bound to one set of holiday data (built in, plus overrides). */
export interface Calendar {
  isWorkday(date: string): boolean;
  /** Workdays from `from` through `to`, both inclusive; 0 when `from` is after `to`. */
  workdaysInRange(from: string, to: string): number;
  workdaysInMonth(year: number, month: number): number;
  /** The date itself when it is a workday, else the latest earlier workday (a Friday prompt on a holiday moves earlier). */
  previousWorkday(date: string): string;
  /** The date itself when it is a workday, else the earliest later workday. */
  nextWorkday(date: string): string;
  /** The n-th workday after `date` (before it when n < 0); `date` itself when n = 0. */
  addWorkdays(date: string, n: number): string;
  /** False when neither the overrides nor chinese-days know the year's holidays. */
  isYearCovered(year: number): boolean;
  yearCoverage(year: number): YearCoverage;
}

/** A year of holidays cannot hide every workday; searching longer means the holiday data is broken. */
const MAX_SEARCH_DAYS = 366;

/**
 * Builds a calendar from chinese-days' data with `overrides` replacing whole years. Pure: the overrides are the
 * parsed object (see `loadHolidayOverrides` in src/load-holiday-overrides.ts for reading the file).
 *
 * @throws AppError VALIDATION when the overrides are malformed.
 */
export function createCalendar(overrides?: HolidayOverrides): Calendar {
  const rules = holidayRulesByYear(overrides);
  const prefixes = new Map<number, Int32Array>();
  const isWorkdayAt = (day: number) => workdayRule(rules.get(yearOfDay(day)), day);
  const prefixOf = (year: number) => {
    let prefix = prefixes.get(year);
    if (prefix === undefined) {
      prefix = workdayPrefix(year, isWorkdayAt);
      prefixes.set(year, prefix);
    }
    return prefix;
  };
  const countRange = (from: number, to: number) => countWorkdays(from, to, prefixOf);
  const coverage = (year: number): YearCoverage => rules.get(year)?.source ?? "NONE";
  return {
    isWorkday: (date) => isWorkdayAt(toEpochDay(date)),
    workdaysInRange: (from, to) => countRange(toEpochDay(from, "from"), toEpochDay(to, "to")),
    workdaysInMonth: (year, month) => {
      assertYearMonth(year, month);
      const first = epochDayOf(year, month, 1);
      return countRange(first, first + daysInMonth(year, month) - 1);
    },
    previousWorkday: (date) => fromEpochDay(seekWorkday(toEpochDay(date), -1, isWorkdayAt)),
    nextWorkday: (date) => fromEpochDay(seekWorkday(toEpochDay(date), 1, isWorkdayAt)),
    addWorkdays: (date, n) => fromEpochDay(stepWorkdays(toEpochDay(date), n, isWorkdayAt)),
    isYearCovered: (year) => coverage(year) !== "NONE",
    yearCoverage: coverage,
  };
}

/** Weekends off, listed holidays off, listed make-up days (调休补班) worked; plain weekdays without data. */
function workdayRule(rules: YearDayRules | undefined, day: number): boolean {
  const date = fromEpochDay(day);
  if (rules?.workdays.has(date)) return true;
  if (rules?.holidays.has(date)) return false;
  return weekdayOfDay(day) <= 5;
}

/** prefix[i] = workdays among the first i days of the year, so any in-year range counts in O(1). */
function workdayPrefix(year: number, isWorkdayAt: (day: number) => boolean): Int32Array {
  const jan1 = epochDayOf(year, 1, 1);
  const length = epochDayOf(year + 1, 1, 1) - jan1;
  const prefix = new Int32Array(length + 1);
  for (let i = 0; i < length; i++) prefix[i + 1] = prefix[i]! + (isWorkdayAt(jan1 + i) ? 1 : 0);
  return prefix;
}

function countWorkdays(from: number, to: number, prefixOf: (year: number) => Int32Array): number {
  let count = 0;
  for (let year = yearOfDay(from); year <= yearOfDay(to) && from <= to; year++) {
    const jan1 = epochDayOf(year, 1, 1);
    const prefix = prefixOf(year);
    const start = Math.max(from, jan1) - jan1;
    const end = Math.min(to, jan1 + prefix.length - 2) - jan1;
    count += prefix[end + 1]! - prefix[start]!;
  }
  return count;
}

function seekWorkday(day: number, direction: 1 | -1, isWorkdayAt: (day: number) => boolean): number {
  for (let i = 0; i <= MAX_SEARCH_DAYS; i++) {
    const candidate = day + i * direction;
    if (isWorkdayAt(candidate)) return candidate;
  }
  throw validationError(`${fromEpochDay(day)} 前后一年内没有工作日，请检查节假日配置`, [
    { field: "date", message: "找不到工作日" },
  ]);
}

function stepWorkdays(day: number, n: number, isWorkdayAt: (day: number) => boolean): number {
  if (!Number.isSafeInteger(n)) {
    throw validationError(`工作日数必须是整数，收到 ${String(n)}`, [{ field: "n", message: "工作日数必须是整数" }]);
  }
  const direction = n < 0 ? -1 : 1;
  let current = day;
  for (let left = Math.abs(n); left > 0; left--) current = seekWorkday(current + direction, direction, isWorkdayAt);
  return current;
}

/** The calendar over chinese-days' data alone (no overrides). */
export const defaultCalendar: Calendar = createCalendar();

/** {@link Calendar.isWorkday} of the default calendar. */
export const isWorkday = (date: string): boolean => defaultCalendar.isWorkday(date);
/** {@link Calendar.workdaysInRange} of the default calendar. */
export const workdaysInRange = (from: string, to: string): number => defaultCalendar.workdaysInRange(from, to);
/** {@link Calendar.workdaysInMonth} of the default calendar. */
export const workdaysInMonth = (year: number, month: number): number => defaultCalendar.workdaysInMonth(year, month);
/** {@link Calendar.previousWorkday} of the default calendar. */
export const previousWorkday = (date: string): string => defaultCalendar.previousWorkday(date);
/** {@link Calendar.nextWorkday} of the default calendar. */
export const nextWorkday = (date: string): string => defaultCalendar.nextWorkday(date);
/** {@link Calendar.addWorkdays} of the default calendar. */
export const addWorkdays = (date: string, n: number): string => defaultCalendar.addWorkdays(date, n);
/** {@link Calendar.isYearCovered} of the default calendar. */
export const isYearCovered = (year: number): boolean => defaultCalendar.isYearCovered(year);
