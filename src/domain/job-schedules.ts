import type { Calendar } from "./calendar.ts";
import {
  type Cadence,
  isoWeekKey,
  parsePeriodKey,
  periodKey,
  periodRange,
  previousPeriodKey,
  weekRange,
} from "./period-key.ts";
import { addDays } from "./plain-date.ts";
import { localDate, localDateTime } from "./zoned-time.ts";

/** The latest week before `date`'s week that had workdays (an empty holiday week was never prompted). */
export function previousWorkingWeek(date: string, calendar: Calendar): string {
  let key = previousPeriodKey(isoWeekKey(date));
  for (let i = 0; i < 4 && weeklyPromptDay(key, calendar) === null; i++) key = previousPeriodKey(key);
  return key;
}

/**
 * When each scheduled job is due, as pure rules over China's business calendar (docs/domain.md "Calendar",
 * issue: accountability loop). Each rule answers for one local calendar date: the period a run on that date
 * is for, or null when nothing is due that day. The scheduler fires every job daily at its local time and asks.
 */
export interface DueRule {
  /** Local wall-clock time the job fires, "HH:mm" in the plan's time zone. */
  time: string;
  /** The period a run on `date` is for, or null when the job is not due that day. */
  due(date: string, calendar: Calendar): string | null;
  /** The period `date` falls in, for a run requested through the API ("run it now for that period"). */
  periodOf(date: string, calendar: Calendar): string;
  /**
   * When the time of day matters too: the run an API request at instant `at` is for (used instead of periodOf).
   * The evaluate job needs it: a run at 11:00 on an evaluation day is still the previous day's run.
   */
  periodAt?(at: Date, timeZone: string, calendar: Calendar): string;
}

/** The day a week's prompt goes out: its Friday, or the workday before when Friday is a holiday (null: no workday). */
export function weeklyPromptDay(weekKey: string, calendar: Calendar): string | null {
  const { from, to } = weekRange(weekKey);
  if (calendar.workdaysInRange(from, to) === 0) return null; // a week with no workdays is not evaluated
  const day = calendar.previousWorkday(addDays(from, 4));
  return day >= from ? day : null;
}

/**
 * The day a period's progress prompt goes out (docs/domain.md "Progress"): for a week its Friday, or the
 * workday before (weeklyPromptDay); for a month or a quarter its last workday, so the prompt comes while there
 * is still a day to report in. Null for a period without workdays, which is never prompted.
 */
export function promptDay(key: string, calendar: Calendar): string | null {
  if (parsePeriodKey(key).cadence === "WEEK") return weeklyPromptDay(key, calendar);
  const { from, to } = periodRange(key);
  const day = calendar.previousWorkday(to);
  return day >= from ? day : null;
}

/** The first workday of a week (Monday, or later when Monday is a holiday); null for a week with none. */
export function firstWorkdayOfWeek(weekKey: string, calendar: Calendar): string | null {
  const { from, to } = weekRange(weekKey);
  const day = calendar.nextWorkday(from);
  return day <= to ? day : null;
}

/**
 * The progress prompt of a cadence: at 16:00 on the period's {@link promptDay} (a week's Friday or the workday
 * before, a month's or quarter's last workday); period = the period the date falls in.
 */
export function promptRule(cadence: Cadence): DueRule {
  return {
    time: "16:00",
    due: (date, calendar) => {
      const key = periodKey(cadence, date);
      return promptDay(key, calendar) === date ? key : null;
    },
    periodOf: (date) => periodKey(cadence, date),
  };
}

/** weekly-prompt: Friday 16:00, moved to the previous workday when Friday is a holiday; period = the week. */
export const weeklyPromptRule: DueRule = promptRule("WEEK");

/**
 * progress-reminder: Monday 10:00 (the first workday of the week when Monday is a holiday), to those who have
 * not reported for the last working week; period = that week (the week before an empty holiday week, if any).
 */
export const progressReminderRule: DueRule = {
  time: "10:00",
  due: (date, calendar) =>
    firstWorkdayOfWeek(isoWeekKey(date), calendar) === date ? previousWorkingWeek(date, calendar) : null,
  periodOf: (date, calendar) => previousWorkingWeek(date, calendar),
};

/**
 * The progress reminder of a cadence: at 10:00 on the {@link evaluationDay} of the period that just ended, to
 * those who have not reported for it, two hours before it is evaluated. For a week that is the first workday of
 * the next week ({@link progressReminderRule}, which also skips a week without workdays); for a month or a
 * quarter the first workday of the next one (2026-09 → Thursday 10-08, after National Day).
 */
export function reminderRule(cadence: Cadence): DueRule {
  if (cadence === "WEEK") return progressReminderRule;
  return {
    time: "10:00",
    due: (date, calendar) => {
      const ended = previousPeriodKey(periodKey(cadence, date));
      return evaluationDay(ended, calendar) === date ? ended : null;
    },
    periodOf: (date) => previousPeriodKey(periodKey(cadence, date)),
  };
}

/** Every workday at `time` (make-up Saturdays included, holidays not); period = the day. */
export function workdayRule(time: string): DueRule {
  return { time, due: (date, calendar) => (calendar.isWorkday(date) ? date : null), periodOf: (date) => date };
}

/** confirm-reminder: every workday at 10:00; period = the day. */
export const confirmReminderRule: DueRule = workdayRule("10:00");

/** When a period is evaluated (docs/domain.md "Evaluation"): at this local time on {@link evaluationDay}. */
export const EVALUATION_TIME = "12:00";

/**
 * The day a period is evaluated and late answers stop being accepted: the first workday after it ends — for a
 * week its following Monday, or later when that Monday is a holiday (2026-W40 → Thursday 10-08). It is the
 * day the progress reminder goes out, two hours before the evaluation.
 */
export function evaluationDay(periodKey: string, calendar: Calendar): string {
  return calendar.nextWorkday(addDays(periodRange(periodKey).to, 1));
}

/**
 * evaluate: every workday at 12:00 — the moment periods close (evaluationDay is always a workday) and the
 * moment an escalation's 2 workdays are counted. A run is keyed by its date and evaluates, for every plan,
 * each period closed by then and not yet evaluated, oldest first: on 2026-02-24 that is both W07 and the
 * empty Spring Festival week W08, so the key cannot be a single period. An API run at `at` belongs to the
 * latest workday whose 12:00 is not after `at`: at 11:00 that is the day before, which has run already.
 */
export const evaluateRule: DueRule = {
  time: EVALUATION_TIME,
  due: (date, calendar) => (calendar.isWorkday(date) ? date : null),
  periodOf: (date) => date,
  periodAt: (at, timeZone, calendar) => workdayRunAt(at, EVALUATION_TIME, timeZone, calendar),
};

/** The run of a daily workday job at `time` that instant `at` belongs to: the latest workday whose `time` is not after `at`. */
function workdayRunAt(at: Date, time: string, timeZone: string, calendar: Calendar): string {
  const today = localDate(at, timeZone);
  const reached = at.getTime() >= localDateTime(today, time, timeZone).getTime();
  return reached && calendar.isWorkday(today) ? today : calendar.previousWorkday(addDays(today, -1));
}

/**
 * weekly-digest: every workday at BOT_DIGEST_TIME (13:00 by default, an hour after evaluation), keyed by the date
 * like evaluate. A run sends, for every published plan, the digest of the period that closed last — once that
 * period has been evaluated, and only to viewers who have not had it (digest_sent): on an ordinary week that is
 * Monday's run; when the evaluation was late, the next workday's run catches up. An API run at `at` belongs to
 * the latest workday whose digest time is not after `at`.
 */
export function digestRule(time: string): DueRule {
  return {
    time,
    due: (date, calendar) => (calendar.isWorkday(date) ? date : null),
    periodOf: (date) => date,
    periodAt: (at, timeZone, calendar) => workdayRunAt(at, time, timeZone, calendar),
  };
}

/**
 * Whole workdays that passed between the day something was sent and `today`, neither counted: a card queued
 * on Monday has 1 full workday behind it on Wednesday (Tuesday), 3 on Friday.
 */
export function fullWorkdaysBetween(sentDate: string, today: string, calendar: Calendar): number {
  return calendar.workdaysInRange(addDays(sentDate, 1), addDays(today, -1));
}

/** docs/domain.md "Confirmation": unconfirmed after 1 workday → reminder to the owner; after 3 → the manager is told. */
export const CONFIRM_REMIND_AFTER_WORKDAYS = 1;
export const CONFIRM_MANAGER_AFTER_WORKDAYS = 3;

/** What the daily confirm-reminder owes an unconfirmed target card queued on `sentDate`, on workday `today`. */
export function confirmReminderStage(
  sentDate: string,
  today: string,
  calendar: Calendar,
): { remindOwner: boolean; tellManager: boolean } {
  const full = fullWorkdaysBetween(sentDate, today, calendar);
  return { remindOwner: full >= CONFIRM_REMIND_AFTER_WORKDAYS, tellManager: full >= CONFIRM_MANAGER_AFTER_WORKDAYS };
}
