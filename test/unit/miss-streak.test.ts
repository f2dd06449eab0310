import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultCalendar as cal } from "../../src/domain/calendar.ts";
import type { EvaluationStatus } from "../../src/domain/evaluate-period.ts";
import { escalationOverdue, nextStreak, type StreakStep, streakStep } from "../../src/domain/miss-streak.ts";

/** Runs a sequence of statuses through streakStep as the evaluate job will, carrying streak and open state. */
function run(statuses: EvaluationStatus[], escalateAfter = 2): StreakStep[] {
  let previousStreak = 0;
  let escalationOpen = false;
  return statuses.map((status) => {
    const step = streakStep({ previousStreak, status, escalateAfter, escalationOpen });
    previousStreak = step.streak;
    if (step.escalation === "OPEN") escalationOpen = true;
    if (step.escalation === "RESOLVE") escalationOpen = false;
    return step;
  });
}
const M = "MISSED" as const;
const E = "EXCUSED" as const;
const OK = "MET" as const;
const statusArb = fc.constantFrom<EvaluationStatus>("MET", "MISSED", "EXCUSED");

describe("streaks", () => {
  it("MISSED adds one, MET resets, EXCUSED keeps", () => {
    expect(nextStreak(1, M)).toBe(2);
    expect(nextStreak(3, OK)).toBe(0);
    expect(nextStreak(3, E)).toBe(3);
  });

  it("W14 62%, the Spring Festival week excused, W16 not reported: the streak is 2 and the escalation opens", () => {
    expect(run([M, E, M]).map((s) => [s.streak, s.escalation])).toEqual([
      [1, null],
      [1, null],
      [2, "OPEN"],
    ]);
  });

  it("leave in the middle of a streak neither breaks it nor counts; a met week then resolves", () => {
    expect(run([M, M, E, E, M, OK, M]).map((s) => [s.streak, s.escalation])).toEqual([
      [1, null],
      [2, "OPEN"],
      [2, null],
      [2, null],
      [3, "RAISE"],
      [0, "RESOLVE"],
      [1, null],
    ]);
  });

  it("the first miss of a streak is flagged once, and again after a MET", () => {
    expect(run([M, E, M, OK, M]).map((s) => s.firstMiss)).toEqual([true, false, false, false, true]);
  });

  it("escalateAfter 3 opens on the third miss; 1 on the first", () => {
    expect(run([M, M, M], 3).map((s) => s.escalation)).toEqual([null, null, "OPEN"]);
    expect(run([M, M], 1).map((s) => s.escalation)).toEqual(["OPEN", "RAISE"]);
  });

  it("a streak already past escalateAfter with nothing open opens one", () => {
    expect(streakStep({ previousStreak: 4, status: M, escalateAfter: 2, escalationOpen: false }).escalation).toBe(
      "OPEN",
    );
  });

  it("refuses a negative streak and an escalateAfter of 0", () => {
    expect(() => nextStreak(-1, M)).toThrow(/previousStreak/);
    expect(() => streakStep({ previousStreak: 0, status: M, escalateAfter: 0, escalationOpen: false })).toThrow(
      /escalateAfter/,
    );
  });
});

describe("streak properties over any sequence", () => {
  it("EXCUSED never changes the streak", () => {
    fc.assert(fc.property(fc.nat(1000), (streak) => nextStreak(streak, E) === streak));
  });

  it("the streak is the number of MISSED since the last MET, EXCUSED ignored", () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 60 }), (statuses) => {
        const steps = run(statuses);
        statuses.forEach((_, i) => {
          const upTo = statuses.slice(0, i + 1);
          const sinceMet = upTo.slice(upTo.lastIndexOf(OK) + 1);
          expect(steps[i]!.streak).toBe(sinceMet.filter((s) => s === M).length);
        });
      }),
    );
  });

  it("removing the EXCUSED periods changes no streak and no escalation step", () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (statuses, after) => {
        const counted = run(statuses, after).filter((_, i) => statuses[i] !== E);
        expect(counted).toEqual(
          run(
            statuses.filter((s) => s !== E),
            after,
          ),
        );
      }),
    );
  });

  it("escalations open and resolve in turn; each miss while open raises it; only MET resolves", () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 60 }), fc.integer({ min: 1, max: 4 }), (statuses, after) => {
        let open = false;
        run(statuses, after).forEach((step, i) => {
          const status = statuses[i]!;
          if (step.escalation === "OPEN") expect([open, status, step.streak >= after]).toEqual([false, M, true]);
          if (step.escalation === "RESOLVE") expect([open, status]).toEqual([true, OK]);
          if (open && status === M) expect(step.escalation).toBe("RAISE");
          if (!open && status === M && step.streak >= after) expect(step.escalation).toBe("OPEN");
          if (status === E) expect(step.escalation).toBeNull();
          if (step.escalation === "OPEN") open = true;
          if (step.escalation === "RESOLVE") open = false;
        });
      }),
    );
  });
});

describe("escalationOverdue: 2 full workdays without action", () => {
  it("a card of Monday's evaluation is overdue on Thursday, not Wednesday", () => {
    expect(escalationOverdue("2026-11-23", "2026-11-25", cal)).toBe(false);
    expect(escalationOverdue("2026-11-23", "2026-11-26", cal)).toBe(true);
  });

  it("National Day does not count: a card of Wednesday 09-30 goes up on the 补班 Saturday 10-10", () => {
    expect(escalationOverdue("2026-09-30", "2026-10-09", cal)).toBe(false);
    expect(escalationOverdue("2026-09-30", "2026-10-10", cal)).toBe(true);
  });
});
