import { describe, expect, it } from "vitest";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";
import { escalationReason, type PeriodResult } from "../../src/domain/escalation-reason.ts";
import { evaluatePeriod } from "../../src/domain/evaluate-period.ts";
import { leaveWorkdays } from "../../src/domain/leave-workdays.ts";
import { streakStep } from "../../src/domain/miss-streak.ts";
import { periodBeganBefore } from "../../src/domain/period-open.ts";
import { expectedForPeriod, phaseAnnual } from "../../src/domain/phasing.ts";
import { periodWorkdays } from "../../src/domain/run-rate.ts";

/*
 * One owner through a run of periods, the way the evaluate job will go: facts from the real 2026 calendar and
 * phasing, evaluatePeriod, streakStep, and the reason of an escalation when it opens.
 */

const months = phaseAnnual(12_000_000n, 2026, "WORKDAYS", cal);

/** What the owner reported per period, as a share of the period target (null: nothing reported). */
type Report = number | null;

function run(a: { periods: [string, Report][]; published?: Date; leaves?: [string, string][] }) {
  let previousStreak = 0;
  let open = false;
  let misses: PeriodResult[] = [];
  return a.periods.map(([period, share]) => {
    const target = expectedForPeriod(months, 2026, period, cal);
    const actual = share === null ? null : (target * BigInt(Math.round(share * 100))) / 100n;
    const evaluation = evaluatePeriod({
      periodTarget: target,
      actual,
      missThreshold: 1,
      workdaysInPeriod: periodWorkdays(period, 2026, cal),
      periodStartedBeforePublish: a.published ? periodBeganBefore(period, a.published, "Asia/Shanghai") : false,
      leaveWorkdays: leaveWorkdays(
        period,
        (a.leaves ?? []).map(([from, to]) => ({ from, to })),
        cal,
      ),
    });
    const step = streakStep({ previousStreak, status: evaluation.status, escalateAfter: 2, escalationOpen: open });
    previousStreak = step.streak;
    if (evaluation.status === "MET") misses = [];
    if (evaluation.status === "MISSED") misses.push({ period, target, actual });
    if (step.escalation === "OPEN") open = true;
    if (step.escalation === "RESOLVE") open = false;
    const reason = step.escalation === "OPEN" ? escalationReason(step.streak, misses) : undefined;
    return {
      period,
      status: evaluation.status,
      why: evaluation.reason,
      streak: step.streak,
      step: step.escalation,
      reason,
    };
  });
}

const row = (r: ReturnType<typeof run>[number]) => [r.period, r.why ?? r.status, r.streak, r.step];

describe("weekly plans through the Spring Festival and National Day 2026", () => {
  it("a miss before the Spring Festival, the 补班 week unreported: escalation on W07; W08 excused; W09 met resolves", () => {
    const got = run({
      periods: [
        ["2026-W06", 0.62],
        ["2026-W07", null],
        ["2026-W08", null],
        ["2026-W09", 1.1],
      ],
    });
    expect(got.map(row)).toEqual([
      ["2026-W06", "BELOW_TARGET", 1, null],
      ["2026-W07", "NO_REPORT", 2, "OPEN"],
      ["2026-W08", "NO_WORKDAYS", 2, null],
      ["2026-W09", "MET", 0, "RESOLVE"],
    ]);
    expect(got[1]!.reason).toBe("连续2周未达标：W6 62%，W7 未填报");
  });

  it("the empty Spring Festival week does not break a streak: W07 missed, W08 excused, W09 missed → escalation", () => {
    const got = run({
      periods: [
        ["2026-W07", 0.5],
        ["2026-W08", null],
        ["2026-W09", null],
      ],
    });
    expect(got.map(row)).toEqual([
      ["2026-W07", "BELOW_TARGET", 1, null],
      ["2026-W08", "NO_WORKDAYS", 1, null],
      ["2026-W09", "NO_REPORT", 2, "OPEN"],
    ]);
    expect(got[2]!.reason).toBe("连续2周未达标：W7 50%，W9 未填报");
  });

  it("leave over National Day excuses W40 and W41; the misses around them still add up", () => {
    const got = run({
      periods: [
        ["2026-W39", 0.8],
        ["2026-W40", null],
        ["2026-W41", null],
        ["2026-W42", 0.9],
        ["2026-W43", 0.7],
      ],
      leaves: [["2026-09-28", "2026-10-10"]],
    });
    expect(got.map(row)).toEqual([
      ["2026-W39", "BELOW_TARGET", 1, null],
      ["2026-W40", "ON_LEAVE", 1, null],
      ["2026-W41", "ON_LEAVE", 1, null],
      ["2026-W42", "BELOW_TARGET", 2, "OPEN"],
      ["2026-W43", "BELOW_TARGET", 3, "RAISE"],
    ]);
    expect(got[3]!.reason).toBe("连续2周未达标：W39 80%，W42 90%");
  });

  it("a plan published on Wednesday of W14: W14 never counts, the streak starts with W15", () => {
    const got = run({
      periods: [
        ["2026-W14", null],
        ["2026-W15", null],
        ["2026-W16", 0.4],
      ],
      published: new Date("2026-04-01T10:00:00+08:00"),
    });
    expect(got.map(row)).toEqual([
      ["2026-W14", "BEFORE_PUBLISH", 0, null],
      ["2026-W15", "NO_REPORT", 1, null],
      ["2026-W16", "BELOW_TARGET", 2, "OPEN"],
    ]);
  });
});

describe("monthly and quarterly plans", () => {
  it("published mid-April, on leave most of June: April and June excused, May and July escalate", () => {
    const got = run({
      periods: [
        ["2026-04", null],
        ["2026-05", 0.75],
        ["2026-06", null],
        ["2026-07", null],
        ["2026-08", 1],
      ],
      published: new Date("2026-04-15T09:00:00+08:00"),
      leaves: [["2026-06-08", "2026-06-30"]],
    });
    expect(got.map(row)).toEqual([
      ["2026-04", "BEFORE_PUBLISH", 0, null],
      ["2026-05", "BELOW_TARGET", 1, null],
      ["2026-06", "ON_LEAVE", 1, null],
      ["2026-07", "NO_REPORT", 2, "OPEN"],
      ["2026-08", "MET", 0, "RESOLVE"],
    ]);
    expect(got[3]!.reason).toBe("连续2个月未达标：5月 75%，7月 未填报");
  });

  it("a week of leave in a month does not excuse it", () => {
    expect(run({ periods: [["2026-06", null]], leaves: [["2026-06-08", "2026-06-14"]] }).map(row)).toEqual([
      ["2026-06", "NO_REPORT", 1, null],
    ]);
  });

  it("quarters: Q2 and Q3 (with National Day) missed escalate, a third raises, a met quarter resolves", () => {
    const got = run({
      periods: [
        ["2026-Q1", 0.95],
        ["2026-Q2", null],
        ["2026-Q3", 0.99],
        ["2026-Q4", 1.01],
      ],
    });
    expect(got.map(row)).toEqual([
      ["2026-Q1", "BELOW_TARGET", 1, null],
      ["2026-Q2", "NO_REPORT", 2, "OPEN"],
      ["2026-Q3", "BELOW_TARGET", 3, "RAISE"],
      ["2026-Q4", "MET", 0, "RESOLVE"],
    ]);
    expect(got[1]!.reason).toBe("连续2个季度未达标：Q1 95%，Q2 未填报");
  });
});
