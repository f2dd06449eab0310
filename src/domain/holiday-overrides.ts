import builtInData from "chinese-days/dist/chinese-days.json" with { type: "json" };
import type { InputProblem } from "../lib/errors.ts";
import { validationError } from "../lib/errors.ts";

/**
 * One year's official arrangement as the State Council announces it: the days off (including weekend days
 * inside a holiday block) and the 调休/补班 weekend days that are worked.
 */
export interface HolidayYearOverride {
  holidays: string[];
  workdays: string[];
}

/**
 * The parsed `config/holidays-override.json`: years keyed "2027". A year listed here replaces the data shipped
 * in chinese-days for that year, so next year's announcement can be added without a package upgrade.
 */
export interface HolidayOverrides {
  years: Record<string, HolidayYearOverride>;
}

/** Which days of one year deviate from "Monday–Friday work, weekend off", and where that knowledge comes from. */
export interface YearDayRules {
  source: "OVERRIDE" | "BUILT_IN";
  holidays: ReadonlySet<string>;
  workdays: ReadonlySet<string>;
}

// The package's published JSON, not its functions: those parse "YYYY-MM-DD" as UTC but format in the host zone,
// so on a host west of UTC they answer for the wrong day. The data itself is plain and zone-free.
const BUILT_IN_RULES = groupByYear(builtInData.holidays, builtInData.workdays);

/** Years the chinese-days package has data for (2004 through its latest release's last announced year). */
export const BUILT_IN_HOLIDAY_YEARS: readonly number[] = [...BUILT_IN_RULES.keys()].sort((a, b) => a - b);

/** True for a real calendar date written "YYYY-MM-DD" with a year from 1000 to 9999. */
export function isIsoDate(value: unknown): value is string {
  if (typeof value !== "string" || !/^[1-9]\d{3}-\d{2}-\d{2}$/.test(value)) return false;
  const [y, m, d] = value.split("-").map(Number) as [number, number, number];
  const parsed = new Date(Date.UTC(y, m - 1, d));
  return parsed.getUTCFullYear() === y && parsed.getUTCMonth() === m - 1 && parsed.getUTCDate() === d;
}

/** Every problem in an overrides object (bad year keys, bad or misplaced dates, a day both off and worked). */
export function findHolidayOverrideProblems(overrides: HolidayOverrides): InputProblem[] {
  if (typeof overrides?.years !== "object" || overrides.years === null || Array.isArray(overrides.years)) {
    return [{ field: "years", message: "节假日覆盖配置缺少 years 对象" }];
  }
  return Object.entries(overrides.years).flatMap(([year, days]) => yearProblems(year, days));
}

/**
 * The day rules per year: chinese-days' data, with every year in `overrides` replacing it.
 *
 * @throws AppError VALIDATION when the overrides are malformed, naming each bad entry.
 */
export function holidayRulesByYear(overrides?: HolidayOverrides): ReadonlyMap<number, YearDayRules> {
  const rules = new Map(BUILT_IN_RULES);
  if (overrides === undefined) return rules;
  const problems = findHolidayOverrideProblems(overrides);
  if (problems.length > 0) {
    throw validationError(`节假日覆盖配置有误：${problems.map((p) => p.message).join("；")}`, problems);
  }
  for (const [year, days] of Object.entries(overrides.years)) {
    rules.set(Number(year), { source: "OVERRIDE", holidays: new Set(days.holidays), workdays: new Set(days.workdays) });
  }
  return rules;
}

function yearProblems(year: string, days: HolidayYearOverride): InputProblem[] {
  const field = `years.${year}`;
  if (!/^[1-9]\d{3}$/.test(year)) return [{ field, message: `年份「${year}」不是四位数年份` }];
  if (typeof days !== "object" || days === null) return [{ field, message: `${field} 必须是对象` }];
  const problems = [
    ...dateListProblems(year, "holidays", days.holidays),
    ...dateListProblems(year, "workdays", days.workdays),
  ];
  if (problems.length > 0) return problems;
  const worked = new Set(days.workdays);
  return days.holidays
    .filter((date) => worked.has(date))
    .map((date) => ({ field, message: `${date} 同时出现在 ${field}.holidays 和 ${field}.workdays 中` }));
}

function dateListProblems(year: string, list: "holidays" | "workdays", dates: unknown): InputProblem[] {
  const field = `years.${year}.${list}`;
  if (!Array.isArray(dates)) return [{ field, message: `${field} 必须是日期数组` }];
  return dates.flatMap((date: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isIsoDate(date)) return [{ field: at, message: `${at}「${String(date)}」不是有效日期（YYYY-MM-DD）` }];
    if (!date.startsWith(`${year}-`)) return [{ field: at, message: `${at}「${date}」不属于 ${year} 年` }];
    return [];
  });
}

function groupByYear(holidays: Record<string, string>, workdays: Record<string, string>): Map<number, YearDayRules> {
  const rules = new Map<number, { source: "BUILT_IN"; holidays: Set<string>; workdays: Set<string> }>();
  const yearOf = (date: string) => {
    const year = Number(date.slice(0, 4));
    let entry = rules.get(year);
    if (entry === undefined) {
      entry = { source: "BUILT_IN", holidays: new Set(), workdays: new Set() };
      rules.set(year, entry);
    }
    return entry;
  };
  for (const date of Object.keys(holidays)) yearOf(date).holidays.add(date);
  for (const date of Object.keys(workdays)) yearOf(date).workdays.add(date);
  return rules;
}
