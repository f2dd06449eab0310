import { describe, expect, it } from "vitest";
import { defaultCalendar as cal, createCalendar } from "../../src/domain/calendar.ts";
import { isPeriodOpen, periodClosesAt, periodRefWordAt, reportPeriod } from "../../src/domain/period-open.ts";
import { periodRefWord } from "../../src/domain/period-words.ts";

const SH = "Asia/Shanghai";
/** 12:00 in Shanghai is 04:00 UTC. */
const noonShanghai = (date: string) => new Date(`${date}T04:00:00Z`);

describe("a period closes when it is evaluated: the first workday after it, 12:00 local", () => {
  it("an ordinary week closes on the following Monday at 12:00", () => {
    expect(periodClosesAt("2026-W47", SH, cal)).toEqual(noonShanghai("2026-11-23"));
    expect(isPeriodOpen("2026-W47", new Date("2026-11-23T03:59:59.999Z"), SH, cal)).toBe(true);
    expect(isPeriodOpen("2026-W47", new Date("2026-11-23T04:00:00Z"), SH, cal)).toBe(false);
  });

  it("National Day 2026: Monday 10-05 to Wednesday 10-07 are holidays, so W40 closes on Thursday 10-08 at 12:00", () => {
    expect(periodClosesAt("2026-W40", SH, cal)).toEqual(noonShanghai("2026-10-08"));
    expect(isPeriodOpen("2026-W40", new Date("2026-10-07T15:00:00Z"), SH, cal)).toBe(true);
    expect(isPeriodOpen("2026-W40", noonShanghai("2026-10-08"), SH, cal)).toBe(false);
    // The week before (Mid-Autumn Friday 09-25 off) closes on Monday 09-28 as usual.
    expect(periodClosesAt("2026-W39", SH, cal)).toEqual(noonShanghai("2026-09-28"));
  });

  it("Spring Festival 2026: the week after W07 has no workday, so W07 closes on Tuesday 02-24", () => {
    expect(periodClosesAt("2026-W07", SH, cal)).toEqual(noonShanghai("2026-02-24"));
  });

  it("a holiday override moves the close (next year's announcement)", () => {
    const withHoliday = createCalendar({ years: { 2026: { holidays: ["2026-11-23"], workdays: [] } } });
    expect(periodClosesAt("2026-W47", SH, withHoliday)).toEqual(noonShanghai("2026-11-24"));
  });

  it("months and quarters close on the first workday after them", () => {
    expect(periodClosesAt("2026-09", SH, cal)).toEqual(noonShanghai("2026-10-08"));
    expect(periodClosesAt("2026-Q1", SH, cal)).toEqual(noonShanghai("2026-04-01"));
  });

  it("the plan's time zone decides the hour", () => {
    expect(periodClosesAt("2026-W47", "Europe/Berlin", cal)).toEqual(new Date("2026-11-23T11:00:00Z"));
  });
});

describe("reportPeriod: the period a report made now is for", () => {
  const at = new Date("2026-11-23T02:00:00Z"); // Monday 10:00 in Shanghai
  it("current is the week we are in; previous is last week, still open on Monday morning", () => {
    expect(reportPeriod({ cadence: "WEEK", timezone: SH, at, ref: "current", calendar: cal })).toMatchObject({
      period: "2026-W48",
      open: true,
    });
    expect(reportPeriod({ cadence: "WEEK", timezone: SH, at, ref: "previous", calendar: cal })).toEqual({
      period: "2026-W47",
      ref: "previous",
      open: true,
      closesAt: noonShanghai("2026-11-23"),
    });
  });

  it("previous is closed from Monday 12:00 on", () => {
    const later = new Date("2026-11-23T05:00:00Z");
    expect(reportPeriod({ cadence: "WEEK", timezone: SH, at: later, ref: "previous", calendar: cal }).open).toBe(false);
  });

  it("the local date decides the week: Sunday 23:30 in Shanghai is still W47", () => {
    const sunday = new Date("2026-11-22T15:30:00Z");
    expect(reportPeriod({ cadence: "WEEK", timezone: SH, at: sunday, ref: "current", calendar: cal }).period).toBe(
      "2026-W47",
    );
  });

  it("months: last month stays open until the first workday of this one at 12:00", () => {
    const oct8 = new Date("2026-10-08T03:00:00Z");
    expect(reportPeriod({ cadence: "MONTH", timezone: SH, at: oct8, ref: "previous", calendar: cal })).toMatchObject({
      period: "2026-09",
      open: true,
    });
  });

  it("names the period as the bot says it", () => {
    expect(periodRefWord("WEEK", "previous")).toBe("上周");
    expect(periodRefWord("QUARTER", "current")).toBe("本季度");
    const week = { cadence: "WEEK" as const, timezone: SH, at };
    expect(["2026-W48", "2026-W47", "2026-W45"].map((p) => periodRefWordAt(p, week))).toEqual(["本周", "上周", ""]);
  });
});
