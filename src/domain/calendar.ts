import { DateTime, IANAZone } from "luxon";
import { validationError } from "../lib/errors.ts";
import type { HolidayOverrides, YearDayRules } from "./holiday-overrides.ts";
import { holidayRulesByYear, isIsoDate } from "./holiday-overrides.ts";

/*
 * Dates are plain calendar dates "YYYY-MM-DD" (they compare correctly as strings). Arithmetic runs on UTC epoch
 * days, so the host's time zone never leaks in; only localDate/localDateTime deal with instants and zones.
 * This file holds both the workday rules and the period keys because both are "the calendar" to every caller.
 */

/** How often a plan's progress is prompted and evaluated. */
export type Cadence = "WEEK" | "MONTH" | "QUARTER";

/** An inclusive range of plain dates. */
export interface DateRange {
  from: string;
  to: string;
}

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

const DAY_MS = 86_400_000;
/** A year of holidays cannot hide every workday; searching longer means the holiday data is broken. */
const MAX_SEARCH_DAYS = 366;

/**
 * Builds a calendar from chinese-days' data with `overrides` replacing whole years. Pure: the overrides are the
 * parsed object (see `loadHolidayOverrides` in src/lib/holiday-overrides-file.ts for reading the file).
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

// ---- plain dates -------------------------------------------------------------------------------------------

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

function toEpochDay(date: string, field = "date"): number {
  if (!isIsoDate(date)) {
    throw validationError(`日期「${String(date)}」无效，应为 YYYY-MM-DD 格式的真实日期`, [
      { field, message: "日期无效" },
    ]);
  }
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** Public entry points take a year 1000–9999 and a month 1–12. */
function assertYearMonth(year: number, month: number): void {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw validationError(`年份无效：${String(year)}`, [{ field: "year", message: "年份应为 1000–9999 的整数" }]);
  }
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw validationError(`月份无效：${String(month)}`, [{ field: "month", message: "月份应为 1–12 的整数" }]);
  }
}

/** Epoch day of a date; month 13 / day 0 roll over as in Date.UTC, which the month-end helpers rely on. */
function epochDayOf(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

function fromEpochDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function yearOfDay(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

function weekdayOfDay(day: number): number {
  // 1970-01-01 was a Thursday (ISO weekday 4).
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

// ---- period keys -------------------------------------------------------------------------------------------

/** ISO week key of a date: "2026-W14" (the week belongs to the year of its Thursday). */
export function isoWeekKey(date: string): string {
  const day = toEpochDay(date);
  const thursday = day + 4 - weekdayOfDay(day);
  const year = yearOfDay(thursday);
  const week = Math.floor((thursday - epochDayOf(year, 1, 1)) / 7) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** Monday through Sunday of an ISO week key. */
export function weekRange(key: string): DateRange {
  const period = parsePeriodKey(key);
  if (period.cadence !== "WEEK") throw periodKeyError(key);
  return periodRange(key);
}

/** Month key of a date: "2026-04". */
export function monthKey(date: string): string {
  toEpochDay(date);
  return date.slice(0, 7);
}

/** Quarter key of a date: "2026-Q2". */
export function quarterKey(date: string): string {
  toEpochDay(date);
  return `${date.slice(0, 4)}-Q${Math.ceil(Number(date.slice(5, 7)) / 3)}`;
}

/** The key of the period of `cadence` that contains `date`. */
export function periodKey(cadence: Cadence, date: string): string {
  if (cadence === "WEEK") return isoWeekKey(date);
  if (cadence === "MONTH") return monthKey(date);
  if (cadence === "QUARTER") return quarterKey(date);
  throw validationError(`不支持的周期「${String(cadence)}」，可选 WEEK / MONTH / QUARTER`, [
    { field: "cadence", message: "周期无效" },
  ]);
}

/** A parsed period key: WEEK index 1–53, MONTH 1–12, QUARTER 1–4. */
export interface PeriodKeyParts {
  cadence: Cadence;
  year: number;
  index: number;
}

/** Parses "2026-W14", "2026-04" or "2026-Q2"; rejects anything else, including week 53 of a 52-week year. */
export function parsePeriodKey(key: string): PeriodKeyParts {
  const match = typeof key === "string" ? /^([1-9]\d{3})-(?:W(\d{2})|(\d{2})|Q([1-4]))$/.exec(key) : null;
  if (match === null) throw periodKeyError(key);
  const year = Number(match[1]);
  if (match[2] !== undefined) {
    const index = Number(match[2]);
    if (index < 1 || index > isoWeeksInYear(year)) throw periodKeyError(key);
    return { cadence: "WEEK", year, index };
  }
  if (match[3] !== undefined) {
    const index = Number(match[3]);
    if (index < 1 || index > 12) throw periodKeyError(key);
    return { cadence: "MONTH", year, index };
  }
  return { cadence: "QUARTER", year, index: Number(match[4]) };
}

/** First and last date of any period key. */
export function periodRange(key: string): DateRange {
  const { cadence, year, index } = parsePeriodKey(key);
  if (cadence === "WEEK") {
    const jan4 = epochDayOf(year, 1, 4);
    const from = jan4 - (weekdayOfDay(jan4) - 1) + (index - 1) * 7;
    return { from: fromEpochDay(from), to: fromEpochDay(from + 6) };
  }
  const firstMonth = cadence === "MONTH" ? index : index * 3 - 2;
  const lastMonth = cadence === "MONTH" ? index : index * 3;
  return {
    from: fromEpochDay(epochDayOf(year, firstMonth, 1)),
    to: fromEpochDay(epochDayOf(year, lastMonth + 1, 1) - 1),
  };
}

/** The period just before `key`, of the same kind ("2026-W01" → "2025-W52", "2026-01" → "2025-12"). */
export function previousPeriodKey(key: string): string {
  const { cadence, from } = { ...parsePeriodKey(key), ...periodRange(key) };
  return periodKey(cadence, addDays(from, -1));
}

/** The period just after `key`, of the same kind. */
export function nextPeriodKey(key: string): string {
  const { cadence, to } = { ...parsePeriodKey(key), ...periodRange(key) };
  return periodKey(cadence, addDays(to, 1));
}

/** Number of ISO weeks (52 or 53) in an ISO week-numbering year. */
export function isoWeeksInYear(year: number): number {
  assertYearMonth(year, 12);
  // 28 December always lies in the last ISO week of its year.
  return Number(isoWeekKey(fromEpochDay(epochDayOf(year, 12, 28))).slice(6));
}

function periodKeyError(key: unknown) {
  return validationError(`周期「${String(key)}」无效，应为 2026-W14、2026-04 或 2026-Q2 这样的格式`, [
    { field: "period", message: "周期无效" },
  ]);
}

// ---- instants and time zones -------------------------------------------------------------------------------

/** The plain date an instant falls on in an IANA zone ("Asia/Shanghai"). */
export function localDate(instant: Date, zone: string): string {
  assertZone(zone);
  if (!(instant instanceof Date) || Number.isNaN(instant.getTime())) {
    throw validationError("时间点无效", [{ field: "instant", message: "时间点无效" }]);
  }
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** The instant of wall-clock `time` ("16:00" or "16:00:30") on `date` in `zone`. */
export function localDateTime(date: string, time: string, zone: string): Date {
  assertZone(zone);
  toEpochDay(date);
  const match = typeof time === "string" ? /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(time) : null;
  if (match === null) {
    throw validationError(`时间「${String(time)}」无效，应为 HH:mm 格式，如 16:00`, [
      { field: "time", message: "时间无效" },
    ]);
  }
  const [year, month, day] = date.split("-").map(Number) as [number, number, number];
  const [hour, minute, second] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone }).toJSDate();
}

function assertZone(zone: string): void {
  if (typeof zone !== "string" || !IANAZone.isValidZone(zone)) {
    throw validationError(`时区「${String(zone)}」无效，应为 IANA 时区名，如 Asia/Shanghai`, [
      { field: "zone", message: "时区无效" },
    ]);
  }
}
