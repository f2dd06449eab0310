import type { Calendar, YearCoverage } from "./calendar.ts";

/** From this month on, next year's holidays should be in place (the State Council announces them in Oct–Dec). */
const NEXT_YEAR_DUE_MONTH = 11;

export interface CalendarCoverage {
  year: number;
  coverage: YearCoverage;
  nextYear: number;
  nextCoverage: YearCoverage;
  /** For the operator, in Chinese: what is missing and where to put it; null when nothing is. */
  warning: string | null;
}

const FIX = "请把国务院办公厅公布的放假与调休安排填入 config/holidays-override.json（见 README“节假日”）";

/**
 * Whether the business calendar knows this year's and, from November on, next year's holidays. Without them
 * every weekday counts as a workday: periods close, prompts go out and evaluations run on New Year's Day or
 * through the Spring Festival. `today` is the local business date (YYYY-MM-DD).
 */
export function calendarCoverage(calendar: Calendar, today: string): CalendarCoverage {
  const year = Number(today.slice(0, 4));
  const month = Number(today.slice(5, 7));
  const coverage = calendar.yearCoverage(year);
  const nextCoverage = calendar.yearCoverage(year + 1);
  let warning: string | null = null;
  if (coverage === "NONE") warning = `${year}年的节假日数据缺失，工作日按周一至周五计算。${FIX}`;
  else if (nextCoverage === "NONE" && month >= NEXT_YEAR_DUE_MONTH)
    warning = `${year + 1}年的节假日数据尚未配置，到时工作日将按周一至周五计算（元旦、春节也算工作日）。${FIX}`;
  return { year, coverage, nextYear: year + 1, nextCoverage, warning };
}
