import { describe, expect, it } from "vitest";
import shipped from "../../config/holidays-override.json" with { type: "json" };
import { createCalendar } from "../../src/domain/calendar.ts";
import { parseHolidayOverrides } from "../../src/domain/parse-holiday-overrides.ts";
import { catchValidation } from "./validation-helpers.ts";

describe("parseHolidayOverrides", () => {
  it("accepts the shipped file: a comment and no years", () => {
    expect(shipped._comment).toContain("chinese-days");
    expect(parseHolidayOverrides(shipped)).toEqual({ years: {} });
  });

  it("returns the years without comments, ready for createCalendar", () => {
    // Example shape only; not an announced arrangement.
    const overrides = parseHolidayOverrides({
      _comment: "example",
      years: { "2031": { _comment: "草案", holidays: ["2031-01-01"], workdays: ["2031-01-04"] } },
    });
    expect(overrides).toEqual({ years: { "2031": { holidays: ["2031-01-01"], workdays: ["2031-01-04"] } } });
    expect(createCalendar(overrides).isWorkday("2031-01-04")).toBe(true);
  });

  it("reports typos and wrong types with their path", () => {
    const caught = catchValidation(() =>
      parseHolidayOverrides({ years: { "2031": { holiday: ["2031-01-01"], workdays: [] } } }, "节假日覆盖文件 x.json"),
    );
    expect(caught.message).toMatch(/^节假日覆盖文件 x\.json有误：/);
    expect(caught.problems).toEqual([
      { field: "years.2031.holidays", message: "无效输入：期望 数组，实际接收 undefined" },
      { field: "years.2031", message: '出现未知的键(key): "holiday"' },
    ]);
    expect(
      catchValidation(() => parseHolidayOverrides({ years: { "2031": { holidays: [1], workdays: [] } } })).problems[0]
        ?.field,
    ).toBe("years.2031.holidays.0");
    expect(
      catchValidation(() => parseHolidayOverrides({ years: { next: { holidays: [], workdays: [] } } })).message,
    ).toContain("年份「next」不是四位数年份");
    expect(catchValidation(() => parseHolidayOverrides([])).problems.length).toBeGreaterThan(0);
  });

  it("reports dates that are invalid, in another year, or both off and worked", () => {
    const caught = catchValidation(() =>
      parseHolidayOverrides({ years: { "2031": { holidays: ["2031-13-01", "2030-12-31"], workdays: [] } } }),
    );
    expect(caught.problems.map((p) => p.field)).toEqual(["years.2031.holidays[0]", "years.2031.holidays[1]"]);
    const both = catchValidation(() =>
      parseHolidayOverrides({ years: { "2031": { holidays: ["2031-05-01"], workdays: ["2031-05-01"] } } }),
    );
    expect(both.message).toContain("2031-05-01 同时出现在");
  });
});
