import { describe, expect, it } from "vitest";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";
import { evaluatePeriod, isExcusedByLeave, type PeriodFacts } from "../../src/domain/evaluate-period.ts";
import { leaveWorkdays } from "../../src/domain/leave-workdays.ts";
import { periodBeganBefore } from "../../src/domain/period-open.ts";
import { expectedForPeriod, phaseAnnual } from "../../src/domain/phasing.ts";
import { periodWorkdays } from "../../src/domain/run-rate.ts";

const base: PeriodFacts = {
  periodTarget: 100_000n,
  actual: 100_000n,
  missThreshold: 1,
  workdaysInPeriod: 5,
  periodStartedBeforePublish: false,
  leaveWorkdays: 0,
};
const evaluate = (facts: Partial<PeriodFacts>) => evaluatePeriod({ ...base, ...facts });

/** The facts of one owner's week of a plan, as the flow will gather them, from the real calendar and phasing. */
function weekFacts(a: {
  week: string;
  annual: bigint;
  actual: bigint | null;
  published?: Date;
  leaves?: [string, string][];
}) {
  const months = phaseAnnual(a.annual, 2026, "WORKDAYS", cal);
  return {
    periodTarget: expectedForPeriod(months, 2026, a.week, cal),
    actual: a.actual,
    missThreshold: 1,
    workdaysInPeriod: periodWorkdays(a.week, 2026, cal),
    periodStartedBeforePublish: a.published ? periodBeganBefore(a.week, a.published, "Asia/Shanghai") : false,
    leaveWorkdays: leaveWorkdays(
      a.week,
      (a.leaves ?? []).map(([from, to]) => ({ from, to })),
      cal,
    ),
  };
}

describe("evaluatePeriod: met, missed, excused", () => {
  it("meeting the target is MET with its attainment", () => {
    expect(evaluate({ actual: 120_000n })).toEqual({ status: "MET", reason: null, attainment: 1.2 });
  });

  it("below the threshold is MISSED BELOW_TARGET, 62% as the card shows it", () => {
    expect(evaluate({ actual: 62_000n })).toEqual({ status: "MISSED", reason: "BELOW_TARGET", attainment: 0.62 });
  });

  it("one yuan short of a 100% threshold is a miss although the rounded attainment reads 1.0000", () => {
    expect(evaluate({ actual: 99_999n })).toEqual({ status: "MISSED", reason: "BELOW_TARGET", attainment: 1 });
  });

  it("a threshold of 0.8 lets 80% pass and 79.99% miss", () => {
    expect(evaluate({ actual: 80_000n, missThreshold: 0.8 }).status).toBe("MET");
    expect(evaluate({ actual: 79_999n, missThreshold: 0.8 }).status).toBe("MISSED");
  });

  it("no report is MISSED NO_REPORT", () => {
    expect(evaluate({ actual: null })).toEqual({ status: "MISSED", reason: "NO_REPORT", attainment: null });
  });

  it("a period target of 0 with workdays: any report is MET, none is NO_REPORT", () => {
    expect(evaluate({ periodTarget: 0n, actual: 0n })).toEqual({ status: "MET", reason: null, attainment: null });
    expect(evaluate({ periodTarget: 0n, actual: null }).reason).toBe("NO_REPORT");
  });

  it("excuses come first, in order: no workdays, before publish, on leave", () => {
    expect(evaluate({ actual: null, workdaysInPeriod: 0 })).toMatchObject({ status: "EXCUSED", reason: "NO_WORKDAYS" });
    expect(evaluate({ actual: null, periodStartedBeforePublish: true, leaveWorkdays: 5 }).reason).toBe(
      "BEFORE_PUBLISH",
    );
    expect(evaluate({ actual: 10n, leaveWorkdays: 3 })).toEqual({
      status: "EXCUSED",
      reason: "ON_LEAVE",
      attainment: 0.0001,
    });
  });

  it("leave excuses from half the workdays on", () => {
    expect(isExcusedByLeave(2, 5)).toBe(false);
    expect(isExcusedByLeave(3, 5)).toBe(true);
    expect(isExcusedByLeave(11, 22)).toBe(true);
    expect(isExcusedByLeave(10, 22)).toBe(false);
    expect(evaluate({ actual: null, leaveWorkdays: 2 }).reason).toBe("NO_REPORT");
  });

  it("refuses facts that cannot be right", () => {
    expect(() => evaluate({ periodTarget: -1n })).toThrow(/periodTarget/);
    expect(() => evaluate({ missThreshold: 0 })).toThrow(/missThreshold/);
    expect(() => evaluate({ workdaysInPeriod: 1.5 })).toThrow(/workdaysInPeriod/);
    expect(() => evaluate({ leaveWorkdays: -1 })).toThrow(/leaveWorkdays/);
  });
});

describe("evaluating real 2026 weeks from the calendar and the phasing", () => {
  const annual = 5_000_000n;

  it("Spring Festival W08 has no workday: EXCUSED even without a report", () => {
    const facts = weekFacts({ week: "2026-W08", annual, actual: null });
    expect(facts.workdaysInPeriod).toBe(0);
    expect(facts.periodTarget).toBe(0n);
    expect(evaluatePeriod(facts)).toMatchObject({ status: "EXCUSED", reason: "NO_WORKDAYS" });
  });

  it("W07 counts its 补班 Saturday: six workdays, and five days' worth of target is a miss", () => {
    const facts = weekFacts({ week: "2026-W07", annual, actual: null });
    expect(facts.workdaysInPeriod).toBe(6);
    const fiveDays = weekFacts({ week: "2026-W06", annual, actual: null }).periodTarget;
    expect(evaluatePeriod({ ...facts, actual: fiveDays })).toMatchObject({ status: "MISSED", reason: "BELOW_TARGET" });
    expect(evaluatePeriod({ ...facts, actual: facts.periodTarget }).status).toBe("MET");
  });

  it("National Day W40 (three workdays) and W41 (with the 补班 Saturday 10-10) are judged on their own days", () => {
    const w40 = weekFacts({ week: "2026-W40", annual, actual: null });
    const w41 = weekFacts({ week: "2026-W41", annual, actual: null });
    expect([w40.workdaysInPeriod, w41.workdaysInPeriod]).toEqual([3, 3]);
    expect(evaluatePeriod({ ...w40, actual: w40.periodTarget }).status).toBe("MET");
    // Leave over the holiday excuses the three-day W40; in W39 (four workdays: 09-25 is 中秋) one day of leave does not.
    expect(
      evaluatePeriod(weekFacts({ week: "2026-W40", annual, actual: null, leaves: [["2026-09-29", "2026-10-09"]] }))
        .reason,
    ).toBe("ON_LEAVE");
    expect(
      evaluatePeriod(weekFacts({ week: "2026-W39", annual, actual: null, leaves: [["2026-09-24", "2026-09-27"]] }))
        .reason,
    ).toBe("NO_REPORT");
  });

  it("a plan published on Wednesday of W14 never counts W14 against anyone; W15 counts", () => {
    const published = new Date("2026-04-01T09:30:00+08:00");
    expect(evaluatePeriod(weekFacts({ week: "2026-W14", annual, actual: null, published }))).toMatchObject({
      status: "EXCUSED",
      reason: "BEFORE_PUBLISH",
    });
    expect(evaluatePeriod(weekFacts({ week: "2026-W15", annual, actual: null, published })).reason).toBe("NO_REPORT");
  });
});

describe("periodWorkdays: the workdays a period target accrues over", () => {
  it("a week across New Year counts only the plan year's days (2026-W01: 12-29 to 01-04, the 补班 Sunday)", () => {
    expect(periodWorkdays("2026-W01", 2026, cal)).toBe(1);
    expect(periodWorkdays("2026-W01", 2025, cal)).toBe(3);
    expect(periodWorkdays("2026-W08", 2026, cal)).toBe(0);
    expect(periodWorkdays("2026-Q3", 2027, cal)).toBe(0);
  });
});

describe("leaveWorkdays: workdays of the period on leave, each once", () => {
  it("clips leave to the period and skips holidays and weekends", () => {
    expect(leaveWorkdays("2026-W40", [{ from: "2026-09-20", to: "2026-10-31" }], cal)).toBe(3);
    expect(leaveWorkdays("2026-W41", [{ from: "2026-10-01", to: "2026-10-10" }], cal)).toBe(3);
    expect(leaveWorkdays("2026-W15", [{ from: "2026-04-11", to: "2026-04-12" }], cal)).toBe(0);
  });

  it("counts overlapping and touching leaves once", () => {
    const leaves = [
      { from: "2026-04-08", to: "2026-04-10" },
      { from: "2026-04-06", to: "2026-04-08" },
      { from: "2026-04-07", to: "2026-04-07" },
    ];
    expect(leaveWorkdays("2026-W15", leaves, cal)).toBe(4); // Tuesday 04-07 to Friday 04-10: Monday 04-06 is 清明
  });
});
