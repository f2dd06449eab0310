import { describe, expect, it } from "vitest";
import { defaultCalendar as cal, createCalendar } from "../../src/domain/calendar.ts";
import { EVALUATION_TIME, evaluationDay, promptDay, promptRule } from "../../src/domain/job-schedules.ts";
import type { Cadence } from "../../src/domain/period-key.ts";
import { periodBeganBefore, periodClosesAt } from "../../src/domain/period-open.ts";
import { lastClosedPeriod, periodsClosedBetween } from "../../src/domain/periods-closed-between.ts";
import { addDays } from "../../src/domain/plain-date.ts";

const SH = "Asia/Shanghai";
/** `HH:mm` local Shanghai time on `date` (UTC+8, no daylight saving). */
const shanghai = (date: string, time = EVALUATION_TIME) => new Date(`${date}T${time}:00+08:00`);
const closed = (cadence: Cadence, after: Date, upTo: Date, calendar = cal) =>
  periodsClosedBetween({ cadence, after, upTo, timezone: SH, calendar });
const last = (cadence: Cadence, at: Date) => lastClosedPeriod({ cadence, at, timezone: SH, calendar: cal });

describe("the evaluation day of every cadence: the first workday after the period, 12:00 local", () => {
  it("months: January 2026 on Monday 02-02; September (National Day) on Thursday 10-08", () => {
    expect(evaluationDay("2026-01", cal)).toBe("2026-02-02");
    expect(evaluationDay("2026-09", cal)).toBe("2026-10-08");
    // January 2026 ends on Saturday; 2026-02 ends on the 补班 Saturday 02-28 and closes on Monday 03-02.
    expect(evaluationDay("2026-02", cal)).toBe("2026-03-02");
  });

  it("quarters: Q3 2026 closes after National Day, Q4 2025 after New Year's Day", () => {
    expect(evaluationDay("2026-Q3", cal)).toBe("2026-10-08");
    expect(evaluationDay("2025-Q4", cal)).toBe("2026-01-04"); // 01-04 is a 补班 Sunday
    expect(periodClosesAt("2026-Q3", SH, cal)).toEqual(shanghai("2026-10-08"));
  });

  it("a holiday announced in the override file moves a month's close", () => {
    const withHoliday = createCalendar({ years: { 2026: { holidays: ["2026-06-01"], workdays: [] } } });
    expect(evaluationDay("2026-05", cal)).toBe("2026-06-01");
    expect(evaluationDay("2026-05", withHoliday)).toBe("2026-06-02");
  });
});

describe("periodsClosedBetween: what a catch-up evaluates, oldest first", () => {
  it("an ordinary Monday noon closes exactly the week before (12:00:00 is already closed)", () => {
    expect(closed("WEEK", shanghai("2026-11-23", "11:59"), shanghai("2026-11-23"))).toEqual(["2026-W47"]);
    expect(closed("WEEK", shanghai("2026-11-23"), shanghai("2026-11-30", "11:59"))).toEqual([]);
  });

  it("Spring Festival 2026: W07 (with the 补班 Saturday) and the empty W08 both close on Tuesday 02-24", () => {
    expect(closed("WEEK", shanghai("2026-02-16"), shanghai("2026-02-24"))).toEqual(["2026-W07", "2026-W08"]);
    expect(closed("WEEK", shanghai("2026-02-16"), shanghai("2026-02-24", "11:00"))).toEqual([]);
  });

  it("National Day 2026: W40 closes on Thursday 10-08, so a window ending on 10-07 has none", () => {
    expect(closed("WEEK", shanghai("2026-09-28"), shanghai("2026-10-07", "23:00"))).toEqual([]);
    expect(closed("WEEK", shanghai("2026-09-29"), shanghai("2026-10-08"))).toEqual(["2026-W40"]);
  });

  it("a week of downtime catches up every week in order, across the year end", () => {
    expect(closed("WEEK", shanghai("2025-12-10"), shanghai("2026-01-20"))).toEqual([
      "2025-W50",
      "2025-W51",
      "2025-W52",
      "2026-W01",
      "2026-W02",
      "2026-W03",
    ]);
  });

  it("months and quarters close only on their own evaluation days", () => {
    expect(closed("MONTH", shanghai("2026-08-01"), shanghai("2026-10-08"))).toEqual(["2026-07", "2026-08", "2026-09"]);
    expect(closed("MONTH", shanghai("2026-08-01"), shanghai("2026-10-07"))).toEqual(["2026-07", "2026-08"]);
    expect(closed("QUARTER", shanghai("2026-01-01"), shanghai("2026-12-31"))).toEqual([
      "2025-Q4",
      "2026-Q1",
      "2026-Q2",
      "2026-Q3",
    ]);
  });

  it("an empty or reversed window closes nothing", () => {
    expect(closed("WEEK", shanghai("2026-11-23"), shanghai("2026-11-23"))).toEqual([]);
    expect(closed("WEEK", shanghai("2026-11-30"), shanghai("2026-11-23"))).toEqual([]);
  });

  it("consecutive windows close every period exactly once", () => {
    const cuts = ["2026-01-01", "2026-02-20", "2026-02-24", "2026-05-06", "2026-10-08", "2027-01-01"];
    for (const cadence of ["WEEK", "MONTH", "QUARTER"] as const) {
      const pieces = cuts.slice(1).flatMap((to, i) => closed(cadence, shanghai(cuts[i]!), shanghai(to)));
      expect(pieces).toEqual(closed(cadence, shanghai(cuts[0]!), shanghai(cuts.at(-1)!)));
      expect(new Set(pieces).size).toBe(pieces.length);
    }
  });
});

describe("lastClosedPeriod: what a run at `at` evaluates", () => {
  it("before noon on an evaluation day it is still the period before", () => {
    expect(last("WEEK", shanghai("2026-11-23", "11:59"))).toBe("2026-W46");
    expect(last("WEEK", shanghai("2026-11-23"))).toBe("2026-W47");
  });

  it("during National Day the last closed week is W39, the month is August", () => {
    expect(last("WEEK", shanghai("2026-10-05"))).toBe("2026-W39");
    expect(last("MONTH", shanghai("2026-10-07"))).toBe("2026-08");
    expect(last("MONTH", shanghai("2026-10-08"))).toBe("2026-09");
    expect(last("QUARTER", shanghai("2026-10-08"))).toBe("2026-Q3");
  });
});

describe("promptDay: a week's Friday, a month's or quarter's last workday", () => {
  it("weeks keep the weekly rule (National Day W40 → Wednesday 09-30; Spring Festival W08 → none)", () => {
    expect(promptDay("2026-W14", cal)).toBe("2026-04-03");
    expect(promptDay("2026-W40", cal)).toBe("2026-09-30");
    expect(promptDay("2026-W08", cal)).toBeNull();
  });

  it("months: the last workday, a 补班 Saturday included (2026-02-28)", () => {
    expect(promptDay("2026-02", cal)).toBe("2026-02-28");
    expect(promptDay("2026-01", cal)).toBe("2026-01-30"); // 01-31 is a Saturday
    expect(promptDay("2026-09", cal)).toBe("2026-09-30");
  });

  it("quarters: the last workday of their last month", () => {
    expect(promptDay("2026-Q3", cal)).toBe("2026-09-30");
    expect(promptDay("2026-Q4", cal)).toBe("2026-12-31");
    expect(promptDay("2026-Q1", cal)).toBe("2026-03-31");
  });

  it("a month whose every day is a holiday (an override) gets no prompt", () => {
    const days = Array.from({ length: 31 }, (_, i) => `2030-01-${String(i + 1).padStart(2, "0")}`);
    const closedJanuary = createCalendar({ years: { 2030: { holidays: days, workdays: [] } } });
    expect(promptDay("2030-01", closedJanuary)).toBeNull();
  });
});

describe("promptRule: the MONTH and QUARTER prompts are due once per period, on a workday", () => {
  const due = (cadence: Cadence) => {
    const out: [string, string][] = [];
    for (let d = "2026-01-01"; d <= "2026-12-31"; d = addDays(d, 1)) {
      const period = promptRule(cadence).due(d, cal);
      if (period) out.push([d, period]);
    }
    return out;
  };

  it("twelve monthly prompts, February's on the 补班 Saturday", () => {
    const months = due("MONTH");
    expect(months.map(([, p]) => p)).toEqual(
      Array.from({ length: 12 }, (_, i) => `2026-${String(i + 1).padStart(2, "0")}`),
    );
    expect(months[1]).toEqual(["2026-02-28", "2026-02"]);
    for (const [date] of months) expect(cal.isWorkday(date)).toBe(true);
  });

  it("four quarterly prompts on the last workday of March, June, September and December", () => {
    expect(due("QUARTER")).toEqual([
      ["2026-03-31", "2026-Q1"],
      ["2026-06-30", "2026-Q2"],
      ["2026-09-30", "2026-Q3"],
      ["2026-12-31", "2026-Q4"],
    ]);
  });

  it("a run requested through the API is for the period the date falls in", () => {
    expect(promptRule("MONTH").periodOf("2026-10-01", cal)).toBe("2026-10");
    expect(promptRule("QUARTER").periodOf("2026-10-01", cal)).toBe("2026-Q4");
  });
});

describe("periodBeganBefore: a plan published mid-period", () => {
  it("published on Wednesday of W14: W14 began before it, W15 did not", () => {
    const published = shanghai("2026-04-01", "09:30");
    expect(periodBeganBefore("2026-W14", published, SH)).toBe(true);
    expect(periodBeganBefore("2026-W15", published, SH)).toBe(false);
    expect(periodBeganBefore("2026-04", published, SH)).toBe(true);
    expect(periodBeganBefore("2026-Q2", published, SH)).toBe(true);
  });

  it("published on Sunday night before W15: W15 counts in full; the plan's zone decides the day", () => {
    const sundayNight = shanghai("2026-04-05", "23:30");
    expect(periodBeganBefore("2026-W15", sundayNight, SH)).toBe(false);
    // The same instant is already Monday 00:30 in Tokyo.
    expect(periodBeganBefore("2026-W15", sundayNight, "Asia/Tokyo")).toBe(true);
  });
});
