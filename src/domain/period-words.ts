import { type Cadence, parsePeriodKey, periodRange } from "./period-key.ts";

/*
 * The cadence vocabulary: how the bot names a cadence and a period to people, in chat and on cards. The one
 * table of 周 / 月 / 季度; 本周, 上月, 每季度 and 「周（如 2026-W14）」 are built from it.
 */

const CADENCE_UNIT: Record<Cadence, string> = { WEEK: "周", MONTH: "月", QUARTER: "季度" };
const EXAMPLE_KEY: Record<Cadence, string> = { WEEK: "2026-W14", MONTH: "2026-04", QUARTER: "2026-Q2" };

/** The unit of a cadence in running text: "周", "月", "季度". */
export function cadenceUnit(cadence: Cadence): string {
  return CADENCE_UNIT[cadence];
}

/** Weeks are counted bare ("2周"), months and quarters with the measure word ("2个月", "2个季度"). */
const COUNTED_UNIT: Record<Cadence, string> = { WEEK: "周", MONTH: "个月", QUARTER: "个季度" };

/** A number of periods as people count them: "2周", "2个月", "2个季度". */
export function periodCount(cadence: Cadence, n: number): string {
  return `${n}${COUNTED_UNIT[cadence]}`;
}

/** The cadence with an example key, for messages about a wrong period: "周（如 2026-W14）". */
export function cadenceWithExample(cadence: Cadence): string {
  return `${CADENCE_UNIT[cadence]}（如 ${EXAMPLE_KEY[cadence]}）`;
}

/** The unit of a period key's cadence: "2026-W14" → "周". */
export function periodUnit(key: string): string {
  return cadenceUnit(parsePeriodKey(key).cadence);
}

/** 「本周」 / 「上周」, 「本月」 / 「上月」, 「本季度」 / 「上季度」. */
export function periodRefWord(cadence: Cadence, ref: "current" | "previous"): string {
  return `${ref === "previous" ? "上" : "本"}${cadenceUnit(cadence)}`;
}

/** "2026-W14 (3/30–4/5)": the key people see in reports, with the dates it covers. */
export function formatPeriod(key: string): string {
  const { from, to } = periodRange(key);
  return `${key} (${monthSlashDay(from)}–${monthSlashDay(to)})`;
}

/** Short label inside a year, for lists: "W14", "4月", "Q2". */
export function shortPeriod(key: string): string {
  const { cadence, index } = parsePeriodKey(key);
  if (cadence === "WEEK") return `W${index}`;
  return cadence === "MONTH" ? `${index}月` : `Q${index}`;
}

/** "2026-03-30" → "3/30". */
function monthSlashDay(date: string): string {
  return `${Number(date.slice(5, 7))}/${Number(date.slice(8, 10))}`;
}
