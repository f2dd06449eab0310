import { validationError } from "../lib/errors.ts";
import { truncateForEcho } from "../lib/text-rule.ts";
import {
  addDays,
  assertYearMonth,
  type DateRange,
  epochDayOf,
  fromEpochDay,
  toEpochDay,
  weekdayOfDay,
  yearOfDay,
} from "./plain-date.ts";

/*
 * Period keys: "2026-W14" (ISO week), "2026-04" (month), "2026-Q2" (quarter) — the one parser and the one
 * set of rules for them; cards and flows call these instead of matching the keys themselves.
 */

/** How often a plan's progress is prompted and evaluated. */
export type Cadence = "WEEK" | "MONTH" | "QUARTER";

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
  return validationError(
    `周期「${truncateForEcho(String(key), 40)}」无效，应为 2026-W14、2026-04 或 2026-Q2 这样的格式`,
    [{ field: "period", message: "周期无效" }],
  );
}

/** True for a key {@link parsePeriodKey} accepts; for checks that must not throw (schemas, card ids). */
export function isPeriodKey(key: unknown): key is string {
  try {
    parsePeriodKey(key as string);
    return true;
  } catch {
    return false;
  }
}
