import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectedForPeriod } from "../../src/domain/phasing.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The set-based evaluation for every cadence and through the Spring Festival: each stored period target equals
 * phasing.ts's expectedForPeriod for the owner's months (the JS rule the SQL re-states), and each plan's
 * periods close on their own evaluation days.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let svc: TestService;
const clock = shanghai("2026-02-02T09:00:00"); // Monday of W06: every plan below is published now
const plans: Record<"WEEK" | "MONTH" | "QUARTER", SmallPlan> = {} as never;
const [lina, rep2] = SMALL_PLAN_REPS;

const runEvaluate = async (at: string) => {
  const res = await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: `${at}+08:00` }));
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { result: { evaluated: { planId: string; period: string }[] } }).result.evaluated;
};
const evaluated = (runs: { planId: string; period: string }[], cadence: keyof typeof plans) =>
  runs.filter((r) => r.planId === plans[cadence].planId).map((r) => r.period);
const rows = (planId: string, period: string) =>
  svc.db.sql.query<{ user_id: string; target: string; status: string; reason: string | null; streak: number }>(
    `SELECT user_id, target::text, status::text, reason, streak FROM period_evaluation
      WHERE plan_id = $1 AND period = $2 ORDER BY user_id`,
    [planId, period],
  );
const months = async (targetId: string) =>
  (
    await svc.db.sql.query<{ amount: string }>(
      "SELECT amount::text FROM target_month WHERE target_id = $1 ORDER BY month",
      [targetId],
    )
  ).map((r) => BigInt(r.amount));
const report = async (planId: string, userId: string, period: string, amount: bigint) => {
  const entries = [{ planId, userId, period, amount: amount.toString(), source: "IMPORT" }];
  const res = await svc.api("/api/progress", jsonInit("POST", { entries }));
  expect(res.status, await res.clone().text()).toBe(200);
};
/** Every owner's stored target for the period equals phasing's rule for their leaf's months. */
const expectTargetsMatchPhasing = async (cadence: keyof typeof plans, period: string) => {
  const plan = plans[cadence];
  const stored = await rows(plan.planId, period);
  expect(stored).toHaveLength(3);
  for (const [i, userId] of SMALL_PLAN_REPS.entries()) {
    const expected = expectedForPeriod(await months(plan.leafIds[i]!), 2026, period, svc.deps.calendar);
    expect(stored.find((r) => r.user_id === userId)?.target).toBe(expected.toString());
  }
};

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  for (const cadence of ["WEEK", "MONTH", "QUARTER"] as const) {
    plans[cadence] = await createSmallPlan(svc, { extra: { cadence, name: `华东${cadence}` } });
    const res = await svc.api(`/api/plans/${plans[cadence].planId}/publish`, { method: "POST" });
    expect(res.status, await res.clone().text()).toBe(200);
  }
}, 180_000);
afterAll(() => svc?.close());

describe("evaluation by cadence", () => {
  it("Spring Festival: W07 (with its 补班 Saturday) and the empty W08 close together on Tuesday 02-24", async () => {
    const w07 = async (i: number) =>
      expectedForPeriod(await months(plans.WEEK.leafIds[i]!), 2026, "2026-W07", svc.deps.calendar);
    await report(plans.WEEK.planId, lina, "2026-W07", await w07(0));
    await report(plans.WEEK.planId, rep2, "2026-W07", (await w07(1)) - 1n); // one yuan short: a miss
    expect(evaluated(await runEvaluate("2026-02-24T11:59:00"), "WEEK")).toEqual(["2026-W06"]);
    expect(evaluated(await runEvaluate("2026-02-24T12:00:00"), "WEEK")).toEqual(["2026-W07", "2026-W08"]);
    await expectTargetsMatchPhasing("WEEK", "2026-W07");
    expect((await rows(plans.WEEK.planId, "2026-W06")).map((r) => r.reason)).toEqual(Array(3).fill("BEFORE_PUBLISH"));
    expect((await rows(plans.WEEK.planId, "2026-W07")).map((r) => [r.status, r.reason, r.streak])).toEqual([
      ["MET", null, 0],
      ["MISSED", "BELOW_TARGET", 1],
      ["MISSED", "NO_REPORT", 1],
    ]);
    expect((await rows(plans.WEEK.planId, "2026-W08")).map((r) => [r.target, r.status, r.reason, r.streak])).toEqual([
      ["0", "EXCUSED", "NO_WORKDAYS", 0],
      ["0", "EXCUSED", "NO_WORKDAYS", 1],
      ["0", "EXCUSED", "NO_WORKDAYS", 1],
    ]);
  });

  it("a monthly plan: February (published in it) excused on 03-02, March judged on 04-01", async () => {
    const all = await runEvaluate("2026-04-01T12:00:00");
    expect(evaluated(all, "MONTH")).toEqual(["2026-02", "2026-03"]);
    expect((await rows(plans.MONTH.planId, "2026-02")).map((r) => r.reason)).toEqual(Array(3).fill("BEFORE_PUBLISH"));
    await expectTargetsMatchPhasing("MONTH", "2026-03");
    expect((await rows(plans.MONTH.planId, "2026-03")).map((r) => r.status)).toEqual(Array(3).fill("MISSED"));
    expect(evaluated(all, "QUARTER")).toEqual(["2026-Q1"]);
  });

  it("a quarterly plan: Q2 judged on the first workday of July", async () => {
    const q2 = await months(plans.QUARTER.leafIds[0]!);
    await report(plans.QUARTER.planId, lina, "2026-Q2", expectedForPeriod(q2, 2026, "2026-Q2", svc.deps.calendar));
    const run = await runEvaluate("2026-07-01T12:00:00");
    expect(evaluated(run, "QUARTER")).toEqual(["2026-Q2"]);
    await expectTargetsMatchPhasing("QUARTER", "2026-Q2");
    expect((await rows(plans.QUARTER.planId, "2026-Q2")).map((r) => [r.status, r.streak])).toEqual([
      ["MET", 0],
      ["MISSED", 1],
      ["MISSED", 1],
    ]);
  });
});
