import type { Calendar } from "../../domain/calendar.ts";
import { type Cadence, parsePeriodKey, periodRange, previousPeriodKey } from "../../domain/period-key.ts";
import { cadenceUnit, cadenceWithExample } from "../../domain/period-words.ts";
import { lastClosedPeriod } from "../../domain/periods-closed-between.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { AppError } from "../../lib/errors.ts";

/** The first period key of a plan year: its year-to-date figures are the keys of the year (as evaluation sums). */
export function firstPeriodOfYear(cadence: Cadence, year: number): string {
  return cadence === "WEEK" ? `${year}-W01` : cadence === "MONTH" ? `${year}-01` : `${year}-Q1`;
}

/**
 * Which period a digest is for: the one asked for, or the latest closed one (clamped to the plan year's last
 * period once the year is over). Refused with a 400 that says what to send: a malformed key, another cadence than
 * the plan's, a period of another year than the plan's, or one that has not begun yet (`now`, the plan's zone).
 * The current period, begun but not closed, is allowed: the dashboard shows the week so far.
 */
export function digestPeriod(a: {
  plan: { cadence: Cadence; fiscalYear: number; timezone: string };
  period: string | undefined;
  calendar: Calendar;
  now: Date;
}): string {
  const { cadence, fiscalYear: year, timezone } = a.plan;
  if (a.period === undefined) {
    let key = lastClosedPeriod({ cadence, at: a.now, timezone, calendar: a.calendar });
    while (parsePeriodKey(key).year > year) key = previousPeriodKey(key);
    if (parsePeriodKey(key).year < year) {
      throw new AppError("VALIDATION", `计划年度 ${year} 还没有结束的${cadenceUnit(cadence)}，请指定 period`, {
        details: [{ field: "period", message: "no closed period of the plan's year yet" }],
      });
    }
    return key;
  }
  let parts: ReturnType<typeof parsePeriodKey>;
  try {
    parts = parsePeriodKey(a.period);
  } catch {
    throw new AppError("VALIDATION", `period「${a.period}」无效，应为${cadenceWithExample(cadence)}`, {
      details: [{ field: "period", message: "malformed period key" }],
    });
  }
  if (parts.cadence !== cadence) {
    throw new AppError("VALIDATION", `该计划按${cadenceUnit(cadence)}考核，period 应为${cadenceWithExample(cadence)}`, {
      details: [{ field: "period", message: "period of another cadence than the plan's" }],
    });
  }
  if (parts.year !== year) {
    const side = parts.year < year ? "早于" : "晚于";
    throw new AppError("VALIDATION", `周期 ${a.period} ${side}计划年度 ${year}`, {
      details: [{ field: "period", message: `period ${parts.year < year ? "before" : "after"} the plan's year` }],
    });
  }
  const today = localDate(a.now, timezone);
  if (periodRange(a.period).from > today) {
    throw new AppError("VALIDATION", `周期 ${a.period} 还没有开始（今天是 ${today}）`, {
      details: [{ field: "period", message: "period in the future" }],
    });
  }
  return a.period;
}
