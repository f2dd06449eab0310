import { describe, expect, it } from "vitest";
import { defaultCalendar } from "../../src/domain/calendar.ts";
import { assertLeaveRange, awayForPeriod, formatLeaveRange, periodWorkdayDates } from "../../src/domain/leave-dates.ts";
import { parseLeaveMessage } from "../../src/domain/parse-leave.ts";

/** Friday 2026-12-04: 下周 is 2026-W50, 12-07 (Monday) to 12-11 (Friday). */
const TODAY = "2026-12-04";
const read = (text: string, today = TODAY) => parseLeaveMessage(text, today, defaultCalendar);

describe("parseLeaveMessage", () => {
  it.each([
    ["下周休假", "2026-12-07", "2026-12-11", undefined],
    ["下个星期请假", "2026-12-07", "2026-12-11", undefined],
    ["本周请假", "2026-12-04", "2026-12-04", undefined], // the workdays left this week
    ["明天请假", "2026-12-05", "2026-12-05", undefined],
    ["后天病假", "2026-12-06", "2026-12-06", "病假"],
    ["12月8日到12月12日请假", "2026-12-08", "2026-12-12", undefined],
    ["12月8号至12号休假", "2026-12-08", "2026-12-12", undefined],
    ["12/8-12/12 年假", "2026-12-08", "2026-12-12", "年假"],
    ["１２／８－１２／１２年假", "2026-12-08", "2026-12-12", "年假"],
    ["12.8-12.12请假", "2026-12-08", "2026-12-12", undefined],
    ["12/29-1/2 年假", "2026-12-29", "2027-01-02", "年假"], // the end rolls into next year
    ["1月4日到1月8日调休", "2027-01-04", "2027-01-08", "调休"], // nearest to today: next January
    ["2027-01-04到2027-01-08休假", "2027-01-04", "2027-01-08", undefined],
  ])("%s → %s … %s", (text, from, to, reason) => {
    expect(read(text)).toEqual({ kind: "leave", from, to, ...(reason ? { reason } : {}) });
  });

  it("reads 「下周」 of the National Day week 2026 as its first to last workday (the 补班 Saturday 10-10 included)", () => {
    expect(read("下周休假", "2026-09-30")).toEqual({ kind: "leave", from: "2026-10-08", to: "2026-10-10" });
  });

  it.each([["取消休假"], ["取消请假"], ["我要取消我的年假"]])("%s is a cancellation", (text) => {
    expect(read(text)).toEqual({ kind: "cancel" });
  });

  it.each([
    ["2月30日请假", /日期「2月30日」不存在/],
    ["12月1日请假", /已经过去或已开始/],
    ["上周请假", /没看懂休假的日期/],
    ["我要请假", /没看懂休假的日期/],
    ["12月8日请假，12月20日也请假", /只写一段/],
    ["2027-12-01到2026-12-08请假", /结束日期早于开始日期/],
    ["2026-12-08到2028-01-08请假", /超过一年/],
  ])("%s is refused with a reason", (text, message) => {
    const parsed = read(text);
    expect(parsed.kind).toBe("invalid");
    expect(parsed.kind === "invalid" && parsed.message).toMatch(message);
  });

  it.each([["本周完成35万"], ["下周争取40万"], ["帮助"], ["今天拜访了两家客户"]])("%s is not about leave", (text) => {
    expect(read(text)).toEqual({ kind: "none" });
  });
});

describe("leave dates", () => {
  it("a person is away for a period only when every workday of it lies inside a leave", () => {
    const w50 = periodWorkdayDates("2026-W50", defaultCalendar);
    expect(w50).toEqual(["2026-12-07", "2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11"]);
    expect(awayForPeriod([{ from: "2026-12-07", to: "2026-12-11" }], w50)).toBe(true);
    expect(awayForPeriod([{ from: "2026-12-07", to: "2026-12-10" }], w50)).toBe(false);
    const twoLeaves = [
      { from: "2026-12-07", to: "2026-12-09" },
      { from: "2026-12-10", to: "2026-12-13" },
    ];
    expect(awayForPeriod(twoLeaves, w50)).toBe(true);
    // National Day week 2026 (W41 = 10-05..10-11): 10-05..10-07 are holidays, Saturday 10-10 is a 补班 workday, so a
    // leave of Thursday–Friday alone does not cover it.
    const w41 = periodWorkdayDates("2026-W41", defaultCalendar);
    expect(w41).toEqual(["2026-10-08", "2026-10-09", "2026-10-10"]);
    expect(awayForPeriod([{ from: "2026-10-08", to: "2026-10-09" }], w41)).toBe(false);
    expect(awayForPeriod([{ from: "2026-10-01", to: "2026-10-31" }], [])).toBe(false); // no workday: not "away"
  });

  it("refuses a range that ends before it starts, is over a year long, or starts over a year from today", () => {
    expect(() => assertLeaveRange({ from: "2026-12-08", to: "2026-12-07" }, TODAY)).toThrow(/早于开始日期/);
    expect(() => assertLeaveRange({ from: "2026-12-08", to: "2027-12-09" }, TODAY)).toThrow(/超过一年/);
    expect(() => assertLeaveRange({ from: "2028-01-01", to: "2028-01-02" }, TODAY)).toThrow(/距今天/);
    expect(() => assertLeaveRange({ from: "2026-12-08", to: "2027-12-08" }, TODAY)).not.toThrow();
  });

  it("formats a range with weekdays, and the year only when it is not this year's", () => {
    expect(formatLeaveRange({ from: "2026-12-07", to: "2026-12-11" }, TODAY)).toBe("12月7日（周一）至12月11日（周五）");
    expect(formatLeaveRange({ from: "2026-12-29", to: "2027-01-02" }, TODAY)).toBe(
      "12月29日（周二）至2027年1月2日（周六）",
    );
  });
});
