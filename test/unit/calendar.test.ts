import { isWorkday as chineseDaysIsWorkday } from "chinese-days";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  addWorkdays,
  createCalendar,
  defaultCalendar,
  isWorkday,
  isYearCovered,
  nextWorkday,
  previousWorkday,
  workdaysInMonth,
  workdaysInRange,
} from "../../src/domain/calendar.ts";
import { BUILT_IN_HOLIDAY_YEARS } from "../../src/domain/holiday-overrides.ts";
import type { Cadence } from "../../src/domain/period-key.ts";
import {
  isoWeekKey,
  isoWeeksInYear,
  monthKey,
  nextPeriodKey,
  parsePeriodKey,
  periodKey,
  periodRange,
  previousPeriodKey,
  quarterKey,
  weekRange,
} from "../../src/domain/period-key.ts";
import { addDays, daysBetween, daysInMonth, isoWeekday } from "../../src/domain/plain-date.ts";
import { localDate, localDateTime } from "../../src/domain/zoned-time.ts";
import { catchValidation } from "./validation-helpers.ts";

const days = (from: string, to: string) => {
  const list: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) list.push(d);
  return list;
};

describe("2026 National Day (国庆节) and Mid-Autumn (中秋) in chinese-days' data", () => {
  it("takes 1–7 October off and works Sunday 20 September and Saturday 10 October", () => {
    for (const d of days("2026-10-01", "2026-10-07")) expect(isWorkday(d), d).toBe(false);
    expect(isoWeekday("2026-09-20")).toBe(7);
    expect(isWorkday("2026-09-20")).toBe(true);
    expect(isoWeekday("2026-10-10")).toBe(6);
    expect(isWorkday("2026-10-10")).toBe(true);
    expect(isWorkday("2026-10-08")).toBe(true);
    expect(isWorkday("2026-10-11")).toBe(false);
  });

  it("takes Mid-Autumn 25–27 September off", () => {
    expect(days("2026-09-25", "2026-09-27").map(isWorkday)).toEqual([false, false, false]);
    expect(isWorkday("2026-09-24")).toBe(true);
  });

  it("counts the workdays of the weeks around the holiday", () => {
    expect(workdaysInRange("2026-09-14", "2026-09-20")).toBe(6); // W38: Mon–Fri + 补班 Sunday
    expect(workdaysInRange("2026-09-21", "2026-09-27")).toBe(4); // W39: Mid-Autumn Friday off
    expect(workdaysInRange("2026-09-28", "2026-10-04")).toBe(3); // W40: 28–30 Sep
    expect(workdaysInRange("2026-10-05", "2026-10-11")).toBe(3); // W41: 8, 9 and 补班 Saturday 10 Oct
    expect(workdaysInMonth(2026, 9)).toBe(22);
    expect(workdaysInMonth(2026, 10)).toBe(18);
  });

  it("moves a Friday prompt that falls on the holiday to the previous workday", () => {
    expect(previousWorkday("2026-10-02")).toBe("2026-09-30");
    expect(previousWorkday("2026-09-25")).toBe("2026-09-24");
    expect(previousWorkday("2026-10-09")).toBe("2026-10-09");
    expect(nextWorkday("2026-10-01")).toBe("2026-10-08");
    expect(nextWorkday("2026-09-19")).toBe("2026-09-20");
  });

  it("adds workdays across the holiday", () => {
    expect(addWorkdays("2026-09-30", 1)).toBe("2026-10-08");
    expect(addWorkdays("2026-10-08", -1)).toBe("2026-09-30");
    expect(addWorkdays("2026-09-30", 3)).toBe("2026-10-10");
    expect(addWorkdays("2026-09-18", 2)).toBe("2026-09-21");
    expect(addWorkdays("2026-10-03", 0)).toBe("2026-10-03");
  });
});

describe("workdays in 2026", () => {
  it("has a Spring Festival week with no workdays at all (not evaluated)", () => {
    const { from, to } = weekRange("2026-W08");
    expect({ from, to }).toEqual({ from: "2026-02-16", to: "2026-02-22" });
    expect(workdaysInRange(from, to)).toBe(0);
    const empty = Array.from(
      { length: isoWeeksInYear(2026) },
      (_, i) => `2026-W${String(i + 1).padStart(2, "0")}`,
    ).filter((key) => workdaysInRange(weekRange(key).from, weekRange(key).to) === 0);
    expect(empty).toEqual(["2026-W08"]);
  });

  it("works the 调休 Saturdays 14 and 28 February and Sunday 4 January", () => {
    expect(isWorkday("2026-02-14")).toBe(true);
    expect(isWorkday("2026-02-28")).toBe(true);
    expect(isWorkday("2026-01-04")).toBe(true);
    expect(workdaysInMonth(2026, 2)).toBe(16);
  });

  it("has 248 workdays, per month as chinese-days says", () => {
    const perMonth = Array.from({ length: 12 }, (_, i) => workdaysInMonth(2026, i + 1));
    expect(perMonth).toEqual([21, 16, 22, 21, 19, 21, 23, 21, 22, 18, 21, 23]);
    expect(workdaysInRange("2026-01-01", "2026-12-31")).toBe(248);
  });

  it("counts ranges across the year boundary and returns 0 for a reversed range", () => {
    expect(workdaysInRange("2025-12-29", "2026-01-04")).toBe(4);
    expect(workdaysInRange("2026-10-10", "2026-10-01")).toBe(0);
    expect(workdaysInRange("2026-10-10", "2026-10-10")).toBe(1);
  });

  // chinese-days builds its own lookup tables by parsing date strings as UTC and formatting them in the host zone,
  // so west of UTC its functions answer for the wrong day (calendar.ts reads the package's JSON data instead and
  // never depends on the host zone). The cross-check is therefore only meaningful at or east of UTC.
  it.skipIf(new Date(2026, 0, 1).getTimezoneOffset() > 0)(
    "agrees with chinese-days' own isWorkday on every day it covers",
    () => {
      const first = BUILT_IN_HOLIDAY_YEARS[0]!;
      const last = BUILT_IN_HOLIDAY_YEARS.at(-1)!;
      expect(first).toBe(2004);
      expect(last).toBeGreaterThanOrEqual(2026);
      const mismatches = days(`${first}-01-01`, `${last}-12-31`).filter(
        (d) => isWorkday(d) !== chineseDaysIsWorkday(d),
      );
      expect(mismatches).toEqual([]);
    },
  );
});

describe("coverage and overrides", () => {
  it("knows which years the built-in data covers", () => {
    expect(isYearCovered(2026)).toBe(true);
    expect(isYearCovered(2004)).toBe(true);
    expect(isYearCovered(2003)).toBe(false);
    expect(defaultCalendar.yearCoverage(2026)).toBe("BUILT_IN");
    expect(defaultCalendar.yearCoverage(2031)).toBe("NONE");
  });

  it("treats weekdays as workdays in a year nobody covers", () => {
    expect(isWorkday("2031-01-01")).toBe(true); // a Wednesday; real 元旦, but no data yet
    expect(isWorkday("2031-01-04")).toBe(false); // Saturday
    expect(workdaysInRange("2031-01-06", "2031-01-12")).toBe(5);
  });

  it("uses an override year in place of missing data", () => {
    // Example arrangement for the test only; not an announced schedule.
    const calendar = createCalendar({ years: { "2031": { holidays: ["2031-01-01"], workdays: ["2031-01-04"] } } });
    expect(calendar.yearCoverage(2031)).toBe("OVERRIDE");
    expect(calendar.isYearCovered(2031)).toBe(true);
    expect(calendar.isWorkday("2031-01-01")).toBe(false);
    expect(calendar.isWorkday("2031-01-04")).toBe(true);
    expect(calendar.previousWorkday("2031-01-01")).toBe("2030-12-31");
    expect(calendar.workdaysInRange("2030-12-29", "2031-01-05")).toBe(5); // 30, 31 Dec; 2, 3 and 补班 4 Jan
    // Other years keep the built-in data.
    expect(calendar.isWorkday("2026-10-01")).toBe(false);
  });

  it("lets an override replace a built-in year entirely", () => {
    const calendar = createCalendar({ years: { "2026": { holidays: ["2026-10-01"], workdays: [] } } });
    expect(calendar.yearCoverage(2026)).toBe("OVERRIDE");
    expect(calendar.isWorkday("2026-10-01")).toBe(false);
    expect(calendar.isWorkday("2026-10-02")).toBe(true);
    expect(calendar.isWorkday("2026-09-20")).toBe(false);
    expect(isWorkday("2026-10-02")).toBe(false); // the default calendar is untouched
  });

  it("rejects malformed overrides, naming each entry", () => {
    const caught = catchValidation(() =>
      createCalendar({
        years: {
          "2031": { holidays: ["2031-02-30", "2030-12-31", "2031-05-01"], workdays: ["2031-05-01"] },
          "31": { holidays: [], workdays: [] },
        },
      }),
    );
    // Object key order puts the integer-like "31" first.
    expect(caught.problems.map((p) => p.field)).toEqual([
      "years.31",
      "years.2031.holidays[0]",
      "years.2031.holidays[1]",
    ]);
    expect(caught.message).toContain("「2031-02-30」不是有效日期");
    expect(caught.message).toContain("「2030-12-31」不属于 2031 年");
    const both = catchValidation(() =>
      createCalendar({ years: { "2031": { holidays: ["2031-05-01"], workdays: ["2031-05-01"] } } }),
    );
    expect(both.message).toContain("2031-05-01 同时出现在 years.2031.holidays 和 years.2031.workdays 中");
    const notObject = catchValidation(() => createCalendar({ years: null } as never));
    expect(notObject.problems[0]?.field).toBe("years");
  });
});

describe("period keys", () => {
  it("names ISO weeks, months and quarters", () => {
    expect(isoWeekKey("2026-04-03")).toBe("2026-W14");
    expect(weekRange("2026-W14")).toEqual({ from: "2026-03-30", to: "2026-04-05" });
    expect(monthKey("2026-04-03")).toBe("2026-04");
    expect(quarterKey("2026-04-03")).toBe("2026-Q2");
    expect(quarterKey("2026-12-31")).toBe("2026-Q4");
    expect(periodKey("WEEK", "2026-04-03")).toBe("2026-W14");
    expect(periodKey("MONTH", "2026-04-03")).toBe("2026-04");
    expect(periodKey("QUARTER", "2026-04-03")).toBe("2026-Q2");
  });

  it("puts days around New Year in the ISO year of their Thursday", () => {
    expect(isoWeekKey("2025-12-29")).toBe("2026-W01");
    expect(isoWeekKey("2027-01-01")).toBe("2026-W53");
    expect(isoWeekKey("2021-01-03")).toBe("2020-W53");
    expect(isoWeekKey("2024-12-30")).toBe("2025-W01");
    expect(isoWeeksInYear(2026)).toBe(53);
    expect(isoWeeksInYear(2025)).toBe(52);
    expect(weekRange("2026-W53")).toEqual({ from: "2026-12-28", to: "2027-01-03" });
  });

  it("gives the range of any key", () => {
    expect(periodRange("2024-02")).toEqual({ from: "2024-02-01", to: "2024-02-29" });
    expect(periodRange("2026-Q4")).toEqual({ from: "2026-10-01", to: "2026-12-31" });
    expect(periodRange("2026-W01")).toEqual({ from: "2025-12-29", to: "2026-01-04" });
    expect(parsePeriodKey("2026-Q2")).toEqual({ cadence: "QUARTER", year: 2026, index: 2 });
  });

  it("steps to the previous and next period across years", () => {
    expect(previousPeriodKey("2026-W01")).toBe("2025-W52");
    expect(previousPeriodKey("2027-W01")).toBe("2026-W53");
    expect(previousPeriodKey("2026-W15")).toBe("2026-W14");
    expect(previousPeriodKey("2026-01")).toBe("2025-12");
    expect(previousPeriodKey("2026-Q1")).toBe("2025-Q4");
    expect(nextPeriodKey("2026-W53")).toBe("2027-W01");
    expect(nextPeriodKey("2026-12")).toBe("2027-01");
    expect(nextPeriodKey("2026-Q4")).toBe("2027-Q1");
  });

  it("rejects malformed keys and cadences", () => {
    for (const key of ["2025-W53", "2026-W00", "2026-13", "2026-00", "2026-Q5", "2026W14", "", "2026-w14"]) {
      expect(catchValidation(() => periodRange(key)).message, key).toContain(`周期「${key}」无效`);
    }
    expect(catchValidation(() => weekRange("2026-04")).message).toContain("无效");
    expect(catchValidation(() => periodKey("DAY" as Cadence, "2026-04-03")).message).toContain("不支持的周期「DAY」");
  });
});

describe("plain dates", () => {
  it("does date arithmetic without the host time zone", () => {
    expect(addDays("2026-02-28", 1)).toBe("2026-03-01");
    expect(addDays("2024-02-28", 1)).toBe("2024-02-29");
    expect(addDays("2026-01-01", -1)).toBe("2025-12-31");
    expect(daysBetween("2026-01-01", "2026-12-31")).toBe(364);
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2026, 12)).toBe(31);
    expect(isoWeekday("2026-04-03")).toBe(5);
  });

  it("rejects invalid dates, months and workday counts", () => {
    for (const bad of ["2026-02-30", "2026/04/03", "26-04-03", "2026-4-3", "0999-01-01", ""]) {
      expect(catchValidation(() => isWorkday(bad)).message, bad).toContain("无效");
    }
    expect(catchValidation(() => workdaysInMonth(2026, 13)).message).toBe("月份无效：13");
    expect(catchValidation(() => workdaysInMonth(26, 1)).message).toBe("年份无效：26");
    expect(catchValidation(() => addWorkdays("2026-04-03", 1.5)).message).toContain("工作日数必须是整数");
  });
});

describe("time zones", () => {
  it("finds the local date of an instant", () => {
    expect(localDate(new Date("2026-04-02T15:59:59Z"), "Asia/Shanghai")).toBe("2026-04-02");
    expect(localDate(new Date("2026-04-02T16:00:00Z"), "Asia/Shanghai")).toBe("2026-04-03");
    expect(localDate(new Date("2026-04-02T16:00:00Z"), "America/Los_Angeles")).toBe("2026-04-02");
  });

  it("finds the instant of a local wall-clock time", () => {
    expect(localDateTime("2026-04-03", "16:00", "Asia/Shanghai").toISOString()).toBe("2026-04-03T08:00:00.000Z");
    expect(localDateTime("2026-04-06", "12:00:30", "Asia/Shanghai").toISOString()).toBe("2026-04-06T04:00:30.000Z");
    expect(localDateTime("2026-07-01", "16:00", "Europe/Berlin").toISOString()).toBe("2026-07-01T14:00:00.000Z");
    // 02:30 does not exist on the US spring-forward day; luxon moves it forward an hour.
    expect(localDateTime("2026-03-08", "02:30", "America/New_York").toISOString()).toBe("2026-03-08T07:30:00.000Z");
  });

  it("rejects unknown zones, invalid instants and invalid times", () => {
    expect(catchValidation(() => localDate(new Date(), "Mars/Olympus")).message).toContain("时区「Mars/Olympus」无效");
    expect(catchValidation(() => localDate(new Date(Number.NaN), "Asia/Shanghai")).message).toBe("时间点无效");
    for (const time of ["24:00", "4pm", "16", "16:60"]) {
      expect(catchValidation(() => localDateTime("2026-04-03", time, "Asia/Shanghai")).message).toContain(
        `时间「${time}」无效`,
      );
    }
  });
});

describe("calendar properties", () => {
  const START = "2003-01-01";
  const SPAN = daysBetween(START, "2031-12-31");
  const dateArb = fc.integer({ min: 0, max: SPAN }).map((n) => addDays(START, n));

  it("counts workdays in any range like a day-by-day count, and ranges add up", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: 0, max: 800 }), fc.nat(), (from, length, cut) => {
        const to = addDays(from, length);
        expect(workdaysInRange(from, to)).toBe(days(from, to).filter(isWorkday).length);
        const middle = addDays(from, cut % (length + 1));
        expect(workdaysInRange(from, middle) + workdaysInRange(addDays(middle, 1), to)).toBe(workdaysInRange(from, to));
      }),
      { numRuns: 200 },
    );
  });

  it("previous/next workday is the nearest workday on that side", () => {
    fc.assert(
      fc.property(dateArb, (date) => {
        const previous = previousWorkday(date);
        const next = nextWorkday(date);
        expect(isWorkday(previous) && isWorkday(next)).toBe(true);
        expect(previous <= date && date <= next).toBe(true);
        expect(workdaysInRange(addDays(previous, 1), date)).toBe(0);
        expect(workdaysInRange(date, addDays(next, -1))).toBe(0);
      }),
    );
  });

  it("addWorkdays moves exactly n workdays", () => {
    fc.assert(
      fc.property(dateArb, fc.integer({ min: -30, max: 30 }), (date, n) => {
        const result = addWorkdays(date, n);
        if (n === 0) {
          expect(result).toBe(date);
          return;
        }
        expect(isWorkday(result)).toBe(true);
        const counted = n > 0 ? workdaysInRange(addDays(date, 1), result) : workdaysInRange(result, addDays(date, -1));
        expect(counted).toBe(Math.abs(n));
      }),
    );
  });

  it("every date lies in its period, and keys step back and forth consistently", () => {
    fc.assert(
      fc.property(dateArb, fc.constantFrom<Cadence>("WEEK", "MONTH", "QUARTER"), (date, cadence) => {
        const key = periodKey(cadence, date);
        const { from, to } = periodRange(key);
        expect(from <= date && date <= to).toBe(true);
        expect(periodKey(cadence, from)).toBe(key);
        expect(periodKey(cadence, to)).toBe(key);
        expect(periodRange(previousPeriodKey(key)).to).toBe(addDays(from, -1));
        expect(nextPeriodKey(previousPeriodKey(key))).toBe(key);
        if (cadence === "WEEK") {
          expect(isoWeekday(from)).toBe(1);
          expect(daysBetween(from, to)).toBe(6);
        }
      }),
    );
  });
});
