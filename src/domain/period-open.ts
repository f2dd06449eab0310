import type { Calendar } from "./calendar.ts";
import { EVALUATION_TIME, evaluationDay } from "./job-schedules.ts";
import { type Cadence, periodKey, periodRange, previousPeriodKey } from "./period-key.ts";
import { periodRefWord } from "./period-words.ts";
import { localDate, localDateTime } from "./zoned-time.ts";

/** Which period a report is about, as the person said it: this one, or the one before ("上周完成30万"). */
export type PeriodRef = "current" | "previous";

/** A period a report may be stored for, and until when. */
export interface ReportPeriod {
  /** "2026-W47", "2026-11" or "2026-Q4". */
  period: string;
  ref: PeriodRef;
  /** False once the period has been evaluated: nothing more is stored for it. */
  open: boolean;
  /** When the period is (or was) evaluated: the first workday after it ends, at 12:00 local (docs/domain.md "Evaluation"). */
  closesAt: Date;
}

/**
 * The moment a period stops taking answers (docs/domain.md "Progress": late answers count until it is evaluated). The
 * day is the evaluation day of job-schedules.ts — for a week its following Monday, or the first workday after
 * it when that Monday is a holiday (2026-W40 → Thursday 2026-10-08) — so that the card's 「请在 … 前填报」, the
 * evaluation job and this rule cannot disagree.
 */
export function periodClosesAt(period: string, timezone: string, calendar: Calendar): Date {
  return localDateTime(evaluationDay(period, calendar), EVALUATION_TIME, timezone);
}

/** True while answers for `period` are still accepted at instant `at` (closed from 12:00:00 on). */
export function isPeriodOpen(period: string, at: Date, timezone: string, calendar: Calendar): boolean {
  return at.getTime() < periodClosesAt(period, timezone, calendar).getTime();
}

/**
 * The period a report made at `at` is for: the plan's current period in its time zone, or the one before for
 * `previous`; with whether it is still open.
 */
export function reportPeriod(a: {
  cadence: Cadence;
  timezone: string;
  at: Date;
  ref: PeriodRef;
  calendar: Calendar;
}): ReportPeriod {
  const current = periodKey(a.cadence, localDate(a.at, a.timezone));
  const period = a.ref === "previous" ? previousPeriodKey(current) : current;
  const closesAt = periodClosesAt(period, a.timezone, a.calendar);
  return { period, ref: a.ref, open: a.at.getTime() < closesAt.getTime(), closesAt };
}

/** 「本周」 or 「上周」 for the period `at` is in or the one before; "" for any other (it is named by its key). */
export function periodRefWordAt(period: string, a: { cadence: Cadence; timezone: string; at: Date }): string {
  const current = periodKey(a.cadence, localDate(a.at, a.timezone));
  if (period === current) return periodRefWord(a.cadence, "current");
  return period === previousPeriodKey(current) ? periodRefWord(a.cadence, "previous") : "";
}

/**
 * True when `period` began (00:00 local on its first day) before `instant` — for evaluation, before the owner's
 * current target version was published, so that the period of publishing never counts against anyone.
 */
export function periodBeganBefore(period: string, instant: Date, timezone: string): boolean {
  return localDateTime(periodRange(period).from, "00:00", timezone).getTime() < instant.getTime();
}
