import { DateTime } from "luxon";
import { addDays, isoWeekday } from "../domain/plain-date.ts";
import { localDate, localDateTime } from "../domain/zoned-time.ts";
import { AppError } from "../lib/errors.ts";

/** Where the guided sandbox's business clock starts when no clock is given: Monday of the demo plan's 10th week. */
export const SANDBOX_START = new Date("2026-03-02T09:00:00+08:00");

export const CLOCK_STEPS = ["next-day", "friday-16", "monday-12", "next-week"] as const;
export type ClockStep = (typeof CLOCK_STEPS)[number];

/**
 * The sandbox's business clock (sandbox mode only; with real credentials the service runs on real time): a base
 * clock — the real one, BOT_FAKE_NOW or a test's — plus an offset that only grows. It runs on in real time between
 * moves, so messages keep their order.
 */
export interface BusinessClock {
  now(): Date;
  /** Moves the clock forward to `to`; refused (400) when `to` is not later than now. */
  moveTo(to: Date): void;
}

export function createBusinessClock(base: () => Date, zone: string, startAt?: Date): BusinessClock {
  let offset = startAt ? startAt.getTime() - base().getTime() : 0;
  const now = () => new Date(base().getTime() + offset);
  return {
    now,
    moveTo(to) {
      const from = now();
      if (to.getTime() <= from.getTime()) {
        throw new AppError(
          "VALIDATION",
          `业务时钟只能向前拨：${clockText(to, zone)} 不晚于现在（${clockText(from, zone)}），请选一个更晚的时间`,
        );
      }
      offset += to.getTime() - from.getTime();
    },
  };
}

/**
 * The moment a step lands on, from `now` in `zone`: the same time tomorrow; the coming Friday 16:00 or Monday
 * 12:00 (today's, when that is still ahead); a week later.
 */
export function stepTarget(step: ClockStep, now: Date, zone: string): Date {
  const today = localDate(now, zone);
  const time = DateTime.fromJSDate(now, { zone }).toFormat("HH:mm:ss");
  switch (step) {
    case "next-day":
      return localDateTime(addDays(today, 1), time, zone);
    case "next-week":
      return localDateTime(addDays(today, 7), time, zone);
    case "friday-16":
      return coming(today, 5, "16:00", now, zone);
    case "monday-12":
      return coming(today, 1, "12:00", now, zone);
  }
}

function coming(today: string, weekday: number, time: string, now: Date, zone: string): Date {
  const date = addDays(today, (weekday - isoWeekday(today) + 7) % 7);
  const at = localDateTime(date, time, zone);
  return at > now ? at : localDateTime(addDays(date, 7), time, zone);
}

const WEEKDAYS = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/** "2026-03-06 周五 16:00" */
export function clockText(at: Date, zone: string): string {
  const date = localDate(at, zone);
  return `${date} ${WEEKDAYS[isoWeekday(date)]} ${DateTime.fromJSDate(at, { zone }).toFormat("HH:mm")}`;
}
