import { describe, expect, it } from "vitest";
import { attainment, formatAttainment } from "../../src/domain/attainment.ts";
import { formatAmountExact, formatAmountShort } from "../../src/domain/format-amount.ts";
import { cadenceUnit, cadenceWithExample, periodRefWord, periodUnit } from "../../src/domain/period-words.ts";
import { parseProgressCardId, progressCardId } from "../../src/flows/progress/progress-card-id.ts";

const PLAN = "0b5c1f9e-2a43-4c1e-9d51-7a2f3c4b5d6e";

describe("one amount, two ways to write it", () => {
  it("writes a target short for overviews and exact for echoes", () => {
    expect(formatAmountShort(4_213_457n)).toBe("421.35万");
    expect(formatAmountShort(4_213_457n, "CNY")).toBe("421.35万元");
    expect(formatAmountShort(24_151n, "CNY")).toBe("24,151元");
    expect(formatAmountShort(12_000n, "COUNT")).toBe("1.2万家");
    expect(formatAmountExact(4_213_457n)).toBe("4,213,457元");
    expect(formatAmountExact(12_000n, "COUNT")).toBe("12,000家");
  });
});

describe("attainment", () => {
  it("rounds the API ratio like the card's percentage and refuses a missing report or target", () => {
    expect(attainment(2n, 3n)).toBe(0.6667);
    expect(attainment(43_400n, 70_000n)).toBe(0.62);
    expect(formatAttainment(43_400n, 70_000n)).toBe("62%");
    expect(attainment(null, 70_000n)).toBeNull();
    expect(attainment(5n, 0n)).toBeNull();
    expect(formatAttainment(5n, 0n)).toBe("—");
  });
});

describe("cadence words", () => {
  it("names every cadence and period from one table", () => {
    expect(["WEEK", "MONTH", "QUARTER"].map((c) => cadenceUnit(c as "WEEK"))).toEqual(["周", "月", "季度"]);
    expect(periodRefWord("MONTH", "previous")).toBe("上月");
    expect(periodUnit("2026-Q2")).toBe("季度");
    expect(cadenceWithExample("MONTH")).toBe("月（如 2026-04）");
  });
});

describe("progress card ids", () => {
  it("reads back what progressCardId wrote, with dots in the user id", () => {
    expect(parseProgressCardId(progressCardId(PLAN, "2026-W14", "u.1"))).toEqual({
      planId: PLAN,
      period: "2026-W14",
      userId: "u.1",
    });
  });

  it("refuses a period that does not exist, as the period-key module does", () => {
    for (const period of ["2026-W54", "2026-13", "2026-Q5", "2026-W1"]) {
      expect(parseProgressCardId(`prg.${PLAN}.${period}.u1`), period).toBeNull();
    }
  });
});
