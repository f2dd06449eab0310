import { describe, expect, it } from "vitest";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";
import { DEFAULT_PACE_MARGIN, paceWarning } from "../../src/domain/pace-warning.ts";
import { periodRange } from "../../src/domain/period-key.ts";
import { expectedToDate, phaseAnnual } from "../../src/domain/phasing.ts";

const warn = (
  ytdActual: bigint,
  expected: bigint,
  more: { firstMiss?: boolean; onLeave?: boolean; margin?: number } = {},
) => paceWarning({ ytdActual, expectedToDate: expected, firstMiss: false, onLeave: false, ...more });

describe("pace warning (风险预警)", () => {
  it("the default margin is 10 points", () => {
    expect(DEFAULT_PACE_MARGIN).toBe(0.1);
  });

  it("more than 10 points behind expected-to-date warns, with the gap", () => {
    expect(warn(890_000n, 1_000_000n)).toEqual({
      warn: true,
      causes: ["BEHIND_PACE"],
      gap: 110_000n,
      ytdAttainment: 0.89,
    });
  });

  it("exactly 10 points behind, or less, does not warn", () => {
    expect(warn(900_000n, 1_000_000n).warn).toBe(false);
    expect(warn(899_999n, 1_000_000n).warn).toBe(true);
    expect(warn(1_200_000n, 1_000_000n)).toMatchObject({ warn: false, gap: -200_000n });
  });

  it("a configured margin of 5 points warns earlier", () => {
    expect(warn(940_000n, 1_000_000n, { margin: 0.05 }).warn).toBe(true);
    expect(warn(950_000n, 1_000_000n, { margin: 0.05 }).warn).toBe(false);
  });

  it("the first miss of a streak warns even on pace; both causes are named", () => {
    expect(warn(1_000_000n, 1_000_000n, { firstMiss: true })).toMatchObject({ warn: true, causes: ["FIRST_MISS"] });
    expect(warn(0n, 1_000_000n, { firstMiss: true }).causes).toEqual(["FIRST_MISS", "BEHIND_PACE"]);
  });

  it("nobody on leave is warned", () => {
    expect(warn(0n, 1_000_000n, { firstMiss: true, onLeave: true }).warn).toBe(false);
  });

  it("nothing expected yet is never behind", () => {
    expect(warn(0n, 0n)).toEqual({ warn: false, causes: [], gap: 0n, ytdAttainment: null });
  });

  it("a rep on a 5,000,000 plan who sold 1,400,000 by the end of 2026-W18 (of 1,612,903 expected: 87%) is behind; 1,500,000 (93%) is not", () => {
    const months = phaseAnnual(5_000_000n, 2026, "WORKDAYS", cal);
    const expected = expectedToDate(months, 2026, periodRange("2026-W18").to, cal);
    expect(warn(1_400_000n, expected)).toMatchObject({ warn: true, ytdAttainment: 0.868 });
    expect(warn(1_500_000n, expected).warn).toBe(false);
  });

  it("refuses a margin of 1 or more and negative amounts", () => {
    expect(() => warn(0n, 1n, { margin: 1 })).toThrow(/margin/);
    expect(() => warn(-1n, 1n)).toThrow();
  });
});
