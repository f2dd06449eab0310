import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createCalendar } from "../../src/domain/calendar.ts";
import { isoWeekKey, nextPeriodKey } from "../../src/domain/period-key.ts";
import type { PhasingProfile } from "../../src/domain/phasing.ts";
import {
  expectedForPeriod,
  expectedForRange,
  expectedToDate,
  phaseAnnual,
  quarterTotals,
} from "../../src/domain/phasing.ts";
import { addDays, daysBetween } from "../../src/domain/plain-date.ts";
import { catchValidation } from "./validation-helpers.ts";

const TOTAL_2026 = 180_000_000n;
const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n);
/** 2025 monthly actuals in 万 (1.2亿 in all), used as the monthly-weights profile. */
const ACTUALS_2025 = [800, 700, 900, 1000, 1000, 1100, 900, 900, 1000, 1100, 1200, 1400];
const BY_WORKDAYS_2026 = [
  15_241_936n,
  11_612_903n,
  15_967_742n,
  15_241_936n,
  13_790_323n,
  15_241_936n,
  16_693_548n,
  15_241_935n,
  15_967_742n,
  13_064_516n,
  15_241_935n,
  16_693_548n,
];

describe("phaseAnnual", () => {
  it("spreads 1.8亿 over 2026 by working days (248 of them)", () => {
    const months = phaseAnnual(TOTAL_2026, 2026, "WORKDAYS");
    expect(months).toEqual(BY_WORKDAYS_2026);
    expect(sum(months)).toBe(TOTAL_2026);
    expect(months[1]! < months[0]!).toBe(true); // February loses the Spring Festival week
  });

  it("spreads equally, odd yuan to the first months", () => {
    expect(phaseAnnual(TOTAL_2026, 2026, "EQUAL")).toEqual(Array(12).fill(15_000_000n));
    expect(phaseAnnual(100n, 2026, "EQUAL")).toEqual([9n, 9n, 9n, 9n, 8n, 8n, 8n, 8n, 8n, 8n, 8n, 8n]);
  });

  it("spreads by monthly weights such as last year's actuals", () => {
    const months = phaseAnnual(TOTAL_2026, 2026, { monthlyWeights: ACTUALS_2025 });
    expect(months).toEqual(ACTUALS_2025.map((w) => BigInt(w) * 15_000n));
    const fractional = phaseAnnual(1_000n, 2026, { monthlyWeights: [0.5, ...Array(11).fill(0)] });
    expect(fractional).toEqual([1_000n, ...Array(11).fill(0n)]);
  });

  it("uses the calendar it is given (years without data count weekdays)", () => {
    const plain = phaseAnnual(2_610n, 2031, "WORKDAYS");
    expect(sum(plain)).toBe(2_610n);
    // Example override (not an announced schedule): Thursday 2 and Friday 3 January 2031 off.
    const calendar = createCalendar({ years: { "2031": { holidays: ["2031-01-02", "2031-01-03"], workdays: [] } } });
    const withHolidays = phaseAnnual(2_610n, 2031, "WORKDAYS", calendar);
    expect(withHolidays[0]! < plain[0]!).toBe(true);
  });

  it("rejects bad profiles, amounts and years", () => {
    const bad = (profile: unknown) => catchValidation(() => phaseAnnual(1_000n, 2026, profile as PhasingProfile));
    expect(bad({ monthlyWeights: [1, 2, 3] }).message).toBe(
      "分月方案必须是 WORKDAYS、EQUAL 或 12 个月度权重（收到3 个）",
    );
    expect(bad("WEEKLY").problems[0]?.field).toBe("profile.monthlyWeights");
    const nan = bad({ monthlyWeights: [1, Number.NaN, 1, 1, 1, 1, 1, 1, 1, 1, 1, -2] });
    expect(nan.problems).toEqual([
      { field: "profile.monthlyWeights[1]", message: "2 月的权重必须是非负有限数字，收到 NaN" },
      { field: "profile.monthlyWeights[11]", message: "12 月的权重必须是非负有限数字，收到 -2" },
    ]);
    expect(bad({ monthlyWeights: Array(12).fill(0) }).message).toBe("12 个月度权重全部为 0，无法分月");
    expect(catchValidation(() => phaseAnnual(-1n, 2026, "EQUAL")).problems[0]?.field).toBe("amount");
    expect(catchValidation(() => phaseAnnual(1n, 2026.5, "EQUAL")).message).toBe("年份无效：2026.5");
    expect(catchValidation(() => phaseAnnual(1n, 20_260, "WORKDAYS")).message).toBe("年份无效：20260");
  });
});

describe("expectedToDate", () => {
  const months = BY_WORKDAYS_2026;

  it("is 0 before the year and the total from 31 December on", () => {
    expect(expectedToDate(months, 2026, "2025-12-31")).toBe(0n);
    expect(expectedToDate(months, 2026, "2026-12-31")).toBe(TOTAL_2026);
    expect(expectedToDate(months, 2026, "2027-03-01")).toBe(TOTAL_2026);
  });

  it("accrues a month by working days elapsed", () => {
    // 1–3 January are 元旦 holidays, Sunday 4 January is worked: 6 of January's 21 workdays by Friday the 9th.
    expect(expectedToDate(months, 2026, "2026-01-03")).toBe(0n);
    expect(expectedToDate(months, 2026, "2026-01-04")).toBe(725_806n);
    expect(expectedToDate(months, 2026, "2026-01-09")).toBe(4_354_838n);
    expect(expectedToDate(months, 2026, "2026-01-31")).toBe(months[0]);
    expect(expectedToDate(months, 2026, "2026-04-03")).toBe(45_000_000n);
  });

  it("accrues a month without workdays on its last day", () => {
    const february = Array.from({ length: 28 }, (_, i) => `2031-02-${String(i + 1).padStart(2, "0")}`);
    const calendar = createCalendar({ years: { "2031": { holidays: february, workdays: [] } } });
    const phased = phaseAnnual(1_200n, 2031, "EQUAL", calendar);
    expect(expectedToDate(phased, 2031, "2031-02-27", calendar)).toBe(100n);
    expect(expectedToDate(phased, 2031, "2031-02-28", calendar)).toBe(200n);
    expect(phaseAnnual(1_200n, 2031, "WORKDAYS", calendar)[1]).toBe(0n);
  });

  it("rejects malformed months and dates", () => {
    expect(catchValidation(() => expectedToDate(months.slice(1), 2026, "2026-04-03")).message).toBe(
      "月度目标必须是 12 个非负整数金额",
    );
    expect(
      catchValidation(() => expectedToDate([...months.slice(1), -1n], 2026, "2026-04-03")).problems[0]?.field,
    ).toBe("months");
    expect(catchValidation(() => expectedToDate(months, 2026, "2026-04-31")).message).toContain(
      "日期「2026-04-31」无效",
    );
  });
});

describe("expectedForRange and expectedForPeriod", () => {
  const months = BY_WORKDAYS_2026;

  it("expects nothing in the Spring Festival week and a normal amount in W14", () => {
    expect(expectedForPeriod(months, 2026, "2026-W08")).toBe(0n);
    expect(expectedForPeriod(months, 2026, "2026-W14")).toBe(3_629_032n);
  });

  it("gives each month and quarter its phased amount", () => {
    expect(expectedForPeriod(months, 2026, "2026-10")).toBe(months[9]);
    expect(expectedForPeriod(months, 2026, "2026-Q1")).toBe(sum(months.slice(0, 3)));
    expect(quarterTotals(months)).toEqual([0, 3, 6, 9].map((i) => sum(months.slice(i, i + 3))));
  });

  it("clips ranges that cross the plan year", () => {
    expect(expectedForRange(months, 2026, "2025-12-29", "2026-01-04")).toBe(725_806n);
    expect(expectedForPeriod(months, 2026, "2026-W01")).toBe(725_806n);
    const lastWeek = expectedForPeriod(months, 2026, "2026-W53");
    expect(lastWeek).toBe(TOTAL_2026 - expectedToDate(months, 2026, "2026-12-27"));
    expect(expectedForRange(months, 2026, "2025-01-01", "2025-12-31")).toBe(0n);
    expect(expectedForRange(months, 2026, "2025-06-01", "2027-06-01")).toBe(TOTAL_2026);
  });

  it("rejects a reversed range", () => {
    expect(catchValidation(() => expectedForRange(months, 2026, "2026-04-05", "2026-03-30")).message).toBe(
      "开始日期 2026-04-05 晚于结束日期 2026-03-30",
    );
  });
});

describe("phasing properties", () => {
  const profileArb = fc.oneof(
    fc.constant<PhasingProfile>("WORKDAYS"),
    fc.constant<PhasingProfile>("EQUAL"),
    fc
      .array(fc.double({ min: 0, max: 10_000, noNaN: true }), { minLength: 12, maxLength: 12 })
      .map((w): PhasingProfile => ({ monthlyWeights: [w[0]! + 1, ...w.slice(1)] })),
  );
  const yearArb = fc.integer({ min: 2004, max: 2032 });
  const amountArb = fc.bigInt({ min: 0n, max: 10n ** 12n });

  it("phaseAnnual sums to the annual amount for every profile, never negative", () => {
    fc.assert(
      fc.property(amountArb, yearArb, profileArb, (amount, year, profile) => {
        const months = phaseAnnual(amount, year, profile);
        expect(months).toHaveLength(12);
        expect(sum(months)).toBe(amount);
        for (const m of months) expect(m >= 0n).toBe(true);
        expect(phaseAnnual(amount, year, profile)).toEqual(months);
      }),
      { numRuns: 300 },
    );
  });

  it("expectedToDate never decreases over the year: 0 before it, the total at its end", () => {
    fc.assert(
      fc.property(amountArb, yearArb, profileArb, (amount, year, profile) => {
        const months = phaseAnnual(amount, year, profile);
        let previous = expectedToDate(months, year, `${year - 1}-12-31`);
        expect(previous).toBe(0n);
        const first = `${year}-01-01`;
        for (let i = 0; i <= daysBetween(first, `${year}-12-31`); i++) {
          const current = expectedToDate(months, year, addDays(first, i));
          expect(current >= previous).toBe(true);
          previous = current;
        }
        expect(previous).toBe(amount);
      }),
      { numRuns: 60 },
    );
  });

  it("the weeks of a year add up to the annual amount, and so do the months", () => {
    fc.assert(
      fc.property(amountArb, yearArb, profileArb, (amount, year, profile) => {
        const months = phaseAnnual(amount, year, profile);
        let total = 0n;
        const lastWeek = isoWeekKey(`${year}-12-31`);
        for (let key = isoWeekKey(`${year}-01-01`); ; key = nextPeriodKey(key)) {
          total += expectedForPeriod(months, year, key);
          if (key === lastWeek) break;
        }
        expect(total).toBe(amount);
        const monthKeys = months.map((_, i) => `${year}-${String(i + 1).padStart(2, "0")}`);
        expect(monthKeys.map((key) => expectedForPeriod(months, year, key))).toEqual(months);
      }),
      { numRuns: 100 },
    );
  });

  it("adjacent ranges add up", () => {
    fc.assert(
      fc.property(
        amountArb,
        fc.integer({ min: -20, max: 380 }),
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 200 }),
        (amount, start, left, right) => {
          const months = phaseAnnual(amount, 2026, "WORKDAYS");
          const from = addDays("2026-01-01", start);
          const middle = addDays(from, left);
          const to = addDays(middle, right + 1);
          expect(
            expectedForRange(months, 2026, from, middle) + expectedForRange(months, 2026, addDays(middle, 1), to),
          ).toBe(expectedForRange(months, 2026, from, to));
        },
      ),
    );
  });
});
