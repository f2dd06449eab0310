import { describe, expect, it } from "vitest";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";
import { confirmReminderStage, evaluationDay, fullWorkdaysBetween } from "../../src/domain/job-schedules.ts";
import { remainingWorkingPeriods, requiredRunRate } from "../../src/domain/run-rate.ts";

describe("requiredRunRate: what is left of the annual target ÷ the working periods left", () => {
  it("spreads the remainder evenly, rounding up to the yuan", () => {
    expect(requiredRunRate({ annualTarget: 4_200_000n, ytdActual: 760_000n, remainingPeriods: 39 })).toBe(88_206n);
    expect(requiredRunRate({ annualTarget: 100n, ytdActual: 0n, remainingPeriods: 3 })).toBe(34n);
    expect(requiredRunRate({ annualTarget: 99n, ytdActual: 0n, remainingPeriods: 3 })).toBe(33n);
  });

  it("is 0 once the target is met, and the whole remainder when no working period is left", () => {
    expect(requiredRunRate({ annualTarget: 100n, ytdActual: 100n, remainingPeriods: 5 })).toBe(0n);
    expect(requiredRunRate({ annualTarget: 100n, ytdActual: 150n, remainingPeriods: 5 })).toBe(0n);
    expect(requiredRunRate({ annualTarget: 100n, ytdActual: 40n, remainingPeriods: 0 })).toBe(60n);
  });
});

describe("remainingWorkingPeriods", () => {
  it("counts this week and every later week of the year that has a workday", () => {
    // 2026 has 53 ISO weeks touching it (W01 starts 12-29-2025); W08 (Spring Festival) has no workday.
    expect(remainingWorkingPeriods("2026-W01", 2026, cal)).toBe(52);
    expect(remainingWorkingPeriods("2026-W53", 2026, cal)).toBe(1);
    expect(remainingWorkingPeriods("2026-W52", 2026, cal)).toBe(2);
    expect(remainingWorkingPeriods("2026-W09", 2026, cal) + 8 - 1).toBe(remainingWorkingPeriods("2026-W01", 2026, cal));
  });

  it("counts months and quarters the same way, and nothing after the year", () => {
    expect(remainingWorkingPeriods("2026-01", 2026, cal)).toBe(12);
    expect(remainingWorkingPeriods("2026-Q3", 2026, cal)).toBe(2);
    expect(remainingWorkingPeriods("2027-W02", 2026, cal)).toBe(0);
  });
});

describe("evaluation and confirmation timing on the business calendar", () => {
  it("a week is evaluated on the first workday after it: Monday, or Thursday 10-08 after National Day", () => {
    expect(evaluationDay("2026-W14", cal)).toBe("2026-04-07"); // Monday 04-06 is Qingming
    expect(evaluationDay("2026-W47", cal)).toBe("2026-11-23");
    expect(evaluationDay("2026-W40", cal)).toBe("2026-10-08");
  });

  it("counts whole workdays between the day a card was queued and today", () => {
    expect(fullWorkdaysBetween("2026-11-23", "2026-11-24", cal)).toBe(0);
    expect(fullWorkdaysBetween("2026-11-23", "2026-11-25", cal)).toBe(1);
    expect(fullWorkdaysBetween("2026-11-23", "2026-11-27", cal)).toBe(3);
  });

  it("National Day: a card queued Tuesday 09-29 is reminded on 10-08 and the manager told on Saturday 10-10 (补班)", () => {
    expect(confirmReminderStage("2026-09-29", "2026-09-30", cal)).toEqual({ remindOwner: false, tellManager: false });
    expect(confirmReminderStage("2026-09-29", "2026-10-08", cal)).toEqual({ remindOwner: true, tellManager: false });
    expect(confirmReminderStage("2026-09-29", "2026-10-09", cal)).toEqual({ remindOwner: true, tellManager: false });
    expect(confirmReminderStage("2026-09-29", "2026-10-10", cal)).toEqual({ remindOwner: true, tellManager: true });
  });
});
