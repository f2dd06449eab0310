import { describe, expect, it } from "vitest";
import { createCalendar } from "../../src/domain/calendar.ts";
import { calendarCoverage } from "../../src/domain/calendar-coverage.ts";

// chinese-days 1.5.7 knows 2004–2026; a year in the override file counts as covered.
const builtIn = createCalendar();
const with2027 = createCalendar({ years: { 2027: { holidays: ["2027-01-01"], workdays: [] } } });

describe("calendarCoverage: the operator is told when holidays are missing", () => {
  it("a covered year with next year not due yet (October): no warning", () => {
    expect(calendarCoverage(builtIn, "2026-10-31")).toEqual({
      year: 2026,
      coverage: "BUILT_IN",
      nextYear: 2027,
      nextCoverage: "NONE",
      warning: null,
    });
  });

  it("from November, next year missing: a warning naming the year and the file", () => {
    const c = calendarCoverage(builtIn, "2026-11-01");
    expect(c.warning).toMatch(/^2027年的节假日数据尚未配置/);
    expect(c.warning).toContain("config/holidays-override.json");
  });

  it("next year in the override file: no warning", () => {
    expect(calendarCoverage(with2027, "2026-12-05")).toMatchObject({ nextCoverage: "OVERRIDE", warning: null });
  });

  it("this year unknown: a warning that weekdays count as workdays, whatever the month", () => {
    const c = calendarCoverage(builtIn, "2028-03-01");
    expect(c).toMatchObject({ year: 2028, coverage: "NONE" });
    expect(c.warning).toMatch(/^2028年的节假日数据缺失，工作日按周一至周五计算/);
  });
});
