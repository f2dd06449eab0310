import type { Calendar } from "./calendar.ts";
import { type Cadence, nextPeriodKey, periodKey, previousPeriodKey } from "./period-key.ts";
import { periodClosesAt } from "./period-open.ts";
import { localDate } from "./zoned-time.ts";

/*
 * Which periods have closed, for the evaluate job (docs/domain.md "Evaluation and escalation"). A period closes
 * at periodClosesAt (period-open.ts: its evaluation day at 12:00 local), the one rule the card's deadline, late
 * answers and evaluation share. Closing times never decrease from one period to the next, so the periods that
 * closed in any window are one run of consecutive keys.
 */

/**
 * The periods of `cadence` that closed after `after` and at or before `upTo`, oldest first — what a catch-up
 * after downtime must evaluate, in the order that keeps streaks right. Empty when `upTo` is not after `after`.
 * A week without workdays (Spring Festival) closes too, with the week before it; it is evaluated as EXCUSED.
 */
export function periodsClosedBetween(a: {
  cadence: Cadence;
  after: Date;
  upTo: Date;
  timezone: string;
  calendar: Calendar;
}): string[] {
  if (a.upTo.getTime() <= a.after.getTime()) return [];
  const closesAt = (key: string) => periodClosesAt(key, a.timezone, a.calendar).getTime();
  // Start at the period `after` falls in (it cannot have closed yet) and step back over any whose close a
  // holiday pushed past `after` (W07 before the Spring Festival); earlier periods close earlier, so this ends.
  let key = periodKey(a.cadence, localDate(a.after, a.timezone));
  while (closesAt(previousPeriodKey(key)) > a.after.getTime()) key = previousPeriodKey(key);
  // Every key from here on closes after `after`: the one `after` falls in has not even ended.
  const closed: string[] = [];
  for (; closesAt(key) <= a.upTo.getTime(); key = nextPeriodKey(key)) closed.push(key);
  return closed;
}

/**
 * The latest period of `cadence` closed at `at` (at or before it): the one `POST /api/jobs/evaluate/run {at}`
 * evaluates. Before 12:00 on an evaluation day that is still the period before.
 */
export function lastClosedPeriod(a: { cadence: Cadence; at: Date; timezone: string; calendar: Calendar }): string {
  let key = previousPeriodKey(periodKey(a.cadence, localDate(a.at, a.timezone)));
  while (periodClosesAt(key, a.timezone, a.calendar).getTime() > a.at.getTime()) key = previousPeriodKey(key);
  return key;
}
