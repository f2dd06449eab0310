import type { Calendar } from "./calendar.ts";
import { formatLeaveRange, MAX_LEAVE_DAYS } from "./leave-dates.ts";
import { isoWeekKey, periodRange } from "./period-key.ts";
import { addDays, type DateRange, daysBetween, daysInMonth, epochDayOf, fromEpochDay } from "./plain-date.ts";

/*
 * Reads a leave message from the chat with the bot (docs/domain.md "Leave"): 「下周休假」, 「明天请假」,
 * 「12月8日到12月12日请假」, 「12/8-12/12 年假」, 「取消休假」. Dates are relative to `today`, the message's local date
 * in BOT_TIMEZONE. Pure and total: never throws.
 *
 * - A message is about leave when it names a kind of leave (休假, 请假, 年假, 病假 …); the leave flow only asks
 *   when the progress parser found no figure in it, so 「本周完成35万」 stays a progress report.
 * - Dates: 今天 / 明天 / 后天; 本周 / 这周 (its workdays from today on) and 下周 (its workdays); 12月8日, 12月8号,
 *   12/8, 12.8, 2026-12-08, 2026年12月8日; a second date after 到 / 至 / - / ~ ends the range (「12月8日到12日」:
 *   the same month). A date without a year is the one nearest to today; an end date without one, the first
 *   on or after the start.
 * - Refused with a reason: no date, a date that does not exist, more than two dates, an end before the start, a
 *   start before today (a past leave is the administrator's to record), a range over a year.
 */

export type LeaveMessage =
  | { kind: "leave"; from: string; to: string; reason?: string }
  | { kind: "cancel" }
  | { kind: "invalid"; message: string }
  | { kind: "none" };

const LEAVE_WORD = /(陪产假|年假|病假|事假|婚假|产假|丧假|调休|休假|请假|请个假|放假)/;
/** Kinds kept as the leave's reason; 休假 / 请假 say nothing more than that it is a leave. */
const REASON_WORDS = new Set(["陪产假", "年假", "病假", "事假", "婚假", "产假", "丧假", "调休"]);
const CANCEL = /^(?:我要|我想|帮我)?(?:取消|撤销|撤回)(?:我的|一下)?(?:休假|请假|年假|病假|事假|调休)$/;
const EXAMPLES = "例如：明天请假、下周休假、12月8日到12月12日请假、12/8-12/12 年假";

const DATE = String.raw`(?:(\d{4})\s*[年/.-]\s*)?(\d{1,2})\s*(?:月|/|\.|-)\s*(\d{1,2})\s*[日号]?`;
const TOKEN = new RegExp(
  String.raw`${DATE}(?:\s*(?:到|至|-|~|—|–)\s*(?:${DATE}|(\d{1,2})\s*[日号]))?|今天|明天|后天|本周|这周|这个?星期|下周|下个?星期|下个?礼拜`,
  "g",
);

export function parseLeaveMessage(text: string, today: string, calendar: Calendar): LeaveMessage {
  if (text.length > 200) return { kind: "none" };
  const src = normalise(text);
  const compact = src.replace(/[\s，。！!,.、～~]/g, "");
  if (CANCEL.test(compact)) return { kind: "cancel" };
  const word = LEAVE_WORD.exec(src)?.[1];
  if (!word) return { kind: "none" };
  const ranges: (DateRange | string)[] = [...src.matchAll(TOKEN)].map((m) => readToken(m, today, calendar));
  if (ranges.length === 0) return invalid(`没看懂休假的日期。请写明哪天到哪天，${EXAMPLES}。`);
  const problem = ranges.find((r): r is string => typeof r === "string");
  if (problem) return invalid(problem);
  if (ranges.length > 1) return invalid(`一条消息请只写一段休假日期，${EXAMPLES}。`);
  const range = ranges[0] as DateRange;
  const shown = formatLeaveRange(range, today);
  if (range.to < range.from) return invalid(`结束日期早于开始日期（${range.from} 至 ${range.to}），请检查日期。`);
  if (range.from < today) {
    return invalid(`${shown}已经过去或已开始，休假只能从今天或以后开始登记；过去的休假请联系管理员补登。`);
  }
  if (daysBetween(range.from, range.to) + 1 > MAX_LEAVE_DAYS) {
    return invalid(`${shown}超过一年，请检查日期。`);
  }
  return { kind: "leave", ...range, ...(REASON_WORDS.has(word) ? { reason: word } : {}) };
}

const invalid = (message: string): LeaveMessage => ({ kind: "invalid", message });

function normalise(text: string): string {
  return text
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[／]/g, "/")
    .replace(/[－]/g, "-")
    .trim();
}

/** One date expression → its range, or the reason it cannot be one. */
function readToken(m: RegExpMatchArray, today: string, calendar: Calendar): DateRange | string {
  const word = m[0];
  if (m[2] !== undefined) {
    const from = resolveDate(m[1], m[2], m[3]!, today);
    if (from === undefined) return noSuchDay(word);
    const to =
      m[5] !== undefined
        ? resolveDate(m[4], m[5], m[6]!, from, true)
        : m[7] !== undefined
          ? resolveDate(from.slice(0, 4), from.slice(5, 7), m[7], from, true)
          : from;
    return to === undefined ? noSuchDay(word) : { from, to };
  }
  if (word === "今天" || word === "明天" || word === "后天") {
    const d = addDays(today, word === "今天" ? 0 : word === "明天" ? 1 : 2);
    return { from: d, to: d };
  }
  const next = word.startsWith("下");
  const { from, to } = periodRange(isoWeekKey(next ? addDays(today, 7) : today));
  const workdays: string[] = [];
  for (let d = next ? from : today; d <= to; d = addDays(d, 1)) if (calendar.isWorkday(d)) workdays.push(d);
  if (workdays.length === 0) return `${next ? "下周" : "本周剩下的日子"}没有工作日，不需要请假。`;
  return { from: workdays[0]!, to: workdays.at(-1)! };
}

const noSuchDay = (word: string) => `日期「${word}」不存在，请检查日期。`;

/**
 * "YYYY-MM-DD" for a real date, undefined for one that does not exist. Without a year: the year nearest to
 * `anchor`, or with `onOrAfter` the first year in which the date is not before `anchor`.
 */
function resolveDate(
  year: string | undefined,
  month: string,
  day: string,
  anchor: string,
  onOrAfter = false,
): string | undefined {
  const [mo, d] = [Number(month), Number(day)];
  const real = (y: number) =>
    mo >= 1 && mo <= 12 && d >= 1 && y >= 1000 && y <= 9999 && d <= daysInMonth(y, mo)
      ? fromEpochDay(epochDayOf(y, mo, d))
      : undefined;
  if (year !== undefined) {
    return real(Number(year));
  }
  const y0 = Number(anchor.slice(0, 4));
  const candidates = [y0 - 1, y0, y0 + 1].map(real).filter((c): c is string => c !== undefined);
  if (candidates.length === 0) return undefined;
  const pick = onOrAfter
    ? candidates.find((c) => c >= anchor)
    : candidates.reduce((a, b) => (Math.abs(daysBetween(anchor, b)) < Math.abs(daysBetween(anchor, a)) ? b : a));
  return pick;
}
