import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaluatePeriod } from "../../src/domain/evaluate-period.ts";
import { periodRange } from "../../src/domain/period-key.ts";
import { expectedForPeriod, expectedToDate } from "../../src/domain/phasing.ts";
import { periodWorkdays } from "../../src/domain/run-rate.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/** A wall-clock moment in Shanghai (UTC+8, no DST). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

let svc: TestService;
let plan: SmallPlan;
const clock = shanghai("2026-04-01T09:00:00");
const [lina, rep2, rep3] = SMALL_PLAN_REPS;

interface Evaluation {
  userId: string;
  period: string;
  target: string;
  actual: string | null;
  attainment: number | null;
  status: string;
  reason: string | null;
  streak: number;
  targetIds: string[];
}

const runEvaluate = async (at: string) => {
  const res = await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: `${at}+08:00` }));
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as {
    period: string;
    ran: boolean;
    result?: { at: string; evaluated: { planId: string; period: string; owners: number }[] };
  };
};
const evaluations = async (period?: string) => {
  const q = period ? `?period=${period}` : "";
  const res = await svc.api(`/api/plans/${plan.planId}/evaluations${q}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return ((await res.json()) as { evaluations: Evaluation[] }).evaluations;
};
const report = async (userId: string, period: string, amount: number, source = "SELF_REPORT") => {
  const res = await svc.api(
    "/api/progress",
    jsonInit("POST", { entries: [{ planId: plan.planId, userId, period, amount: String(amount), source }] }),
  );
  expect(res.status, await res.clone().text()).toBe(200);
};
const months = async (targetId: string) =>
  (
    await svc.db.sql.query<{ amount: string }>(
      "SELECT amount::text AS amount FROM target_month WHERE target_id = $1 ORDER BY month",
      [targetId],
    )
  ).map((r) => BigInt(r.amount));
/** The pace warnings queued, as "period user" (outbox keys pace.<plan>.<period>.<user>). */
const paceWarnings = async () =>
  (
    await svc.db.sql.query<{ k: string }>(
      "SELECT idempotency_key AS k FROM outbox_message WHERE idempotency_key LIKE $1 ORDER BY 1",
      [`pace.${plan.planId}.%`],
    )
  ).map((r) => r.k.slice(`pace.${plan.planId}.`.length).replace(".", " "));
const tableCounts = async () =>
  (
    await svc.db.sql.query<{ e: number; p: number }>(
      "SELECT (SELECT count(*)::int FROM period_evaluation) AS e, (SELECT count(*)::int FROM evaluated_period) AS p",
    )
  )[0]!;

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  plan = await createSmallPlan(svc);
  const res = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
  expect(res.status).toBe(200);
}, 120_000);
afterAll(() => svc?.close());

describe("evaluate job", () => {
  it("before the first close after publishing there is nothing to evaluate", async () => {
    // Published on Wednesday of W14, which closes on the first workday after it: Tuesday 04-07 (Qingming,
    // 04-04..06 off), at 12:00.
    const before = await runEvaluate("2026-04-07T11:59:00");
    expect(before.result?.evaluated).toEqual([]);
    expect(await tableCounts()).toEqual({ e: 0, p: 0 });
  });

  it("the week of publishing is EXCUSED for everyone; the next is judged by the rules, with SQL targets equal to phasing's", async () => {
    await report(lina, "2026-W15", 50_000); // well below a week's target
    await report(rep2, "2026-W15", 10_000_000, "SELF_REPORT"); // far above
    await report(rep2, "2026-W15", 60_000, "IMPORT"); // …but the company's import is in force, and below
    // rep3 reports nothing for W15.
    const run = await runEvaluate("2026-04-13T12:00:00");
    expect(run.period).toBe("2026-04-13");
    expect(run.result?.evaluated.map((e) => [e.period, e.owners])).toEqual([
      ["2026-W14", 3],
      ["2026-W15", 3],
    ]);
    const w14 = await evaluations("2026-W14");
    expect(w14.map((e) => [e.userId, e.status, e.reason, e.streak])).toEqual(
      SMALL_PLAN_REPS.map((u) => [u, "EXCUSED", "BEFORE_PUBLISH", 0]),
    );
    const w15 = await evaluations("2026-W15");
    const byUser = new Map(w15.map((e) => [e.userId, e]));
    for (const [i, userId] of SMALL_PLAN_REPS.entries()) {
      const e = byUser.get(userId)!;
      expect(e.targetIds).toEqual([plan.leafIds[i]]);
      const target = expectedForPeriod(await months(plan.leafIds[i]!), 2026, "2026-W15", svc.deps.calendar);
      expect(BigInt(e.target)).toBe(target);
      const actual = { [lina]: 50_000n, [rep2]: 60_000n, [rep3]: null }[userId] ?? null;
      const verdict = evaluatePeriod({
        periodTarget: target,
        actual,
        missThreshold: 1,
        workdaysInPeriod: periodWorkdays("2026-W15", 2026, svc.deps.calendar),
        periodStartedBeforePublish: false,
        leaveWorkdays: 0,
      });
      expect(e).toMatchObject({ actual: actual?.toString() ?? null, status: verdict.status, reason: verdict.reason });
      expect(e.attainment).toBe(verdict.attainment);
    }
    expect(w15.map((e) => [e.userId, e.status, e.reason, e.streak])).toEqual([
      [lina, "MISSED", "BELOW_TARGET", 1],
      [rep2, "MISSED", "BELOW_TARGET", 1],
      [rep3, "MISSED", "NO_REPORT", 1],
    ]);
  });

  it("stores year-to-date through the period's end and the annual target with each row", async () => {
    const [row] = await svc.db.sql.query<{ ytd_actual: string; ytd_target: string; annual_target: string }>(
      `SELECT ytd_actual::text, ytd_target::text, annual_target::text FROM period_evaluation
        WHERE plan_id = $1 AND user_id = $2 AND period = '2026-W15'`,
      [plan.planId, rep2],
    );
    const m = await months(plan.leafIds[1]!);
    expect(row).toEqual({
      ytd_actual: "60000",
      ytd_target: expectedToDate(m, 2026, periodRange("2026-W15").to, svc.deps.calendar).toString(),
      annual_target: m.reduce((s, x) => s + x, 0n).toString(),
    });
  });

  it("re-running, or running for an earlier moment, evaluates nothing again and changes nothing", async () => {
    const before = await evaluations();
    const again = await runEvaluate("2026-04-13T12:00:00");
    expect(again.ran).toBe(false);
    const laterSameWeek = await runEvaluate("2026-04-14T12:00:00");
    expect(laterSameWeek.result?.evaluated).toEqual([]);
    const earlier = await runEvaluate("2026-04-10T12:00:00");
    expect(earlier.result?.evaluated).toEqual([]);
    expect(await evaluations()).toEqual(before);
  });

  it("a figure corrected after evaluation is kept in history but does not rewrite the verdict", async () => {
    await report(lina, "2026-W15", 5_000_000);
    const [e] = (await evaluations("2026-W15")).filter((x) => x.userId === lina);
    expect(e).toMatchObject({ actual: "50000", status: "MISSED" });
    const [{ n }] = (await svc.db.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM progress_entry WHERE user_id = $1 AND period = '2026-W15'",
      [lina],
    )) as [{ n: number }];
    expect(n).toBe(2);
  });

  it("streaks: a met week resets, a week on leave is excused and keeps the streak", async () => {
    const target16 = async (i: number) =>
      expectedForPeriod(await months(plan.leafIds[i]!), 2026, "2026-W16", svc.deps.calendar);
    await report(lina, "2026-W16", Number(await target16(0))); // exactly on target: met
    // rep2 away Monday to Wednesday of W16 (3 of 5 workdays): excused.
    const leave = await svc.api(
      `/api/staff/${rep2}/leave`,
      jsonInit("PUT", { from: "2026-04-13", to: "2026-04-15", reason: "年假" }),
    );
    expect(leave.status, await leave.clone().text()).toBe(201);
    await runEvaluate("2026-04-20T12:00:00");
    const w16 = await evaluations("2026-W16");
    expect(w16.map((e) => [e.userId, e.status, e.reason, e.streak])).toEqual([
      [lina, "MET", null, 0],
      [rep2, "EXCUSED", "ON_LEAVE", 1],
      [rep3, "MISSED", "NO_REPORT", 2],
    ]);
  });

  it("pace warnings: none for the excused week of publishing or for an owner whose escalation is open", async () => {
    // W15 was everyone's first miss; W16: 李娜 met, rep2 on leave (excused), rep3's second miss opened an
    // escalation, whose own message tells rep3 — so W16 warns nobody.
    expect(await paceWarnings()).toEqual([`2026-W15 ${lina}`, `2026-W15 ${rep2}`, `2026-W15 ${rep3}`]);
  });

  it("catch-up after downtime evaluates every closed week, oldest first, so streaks are right", async () => {
    // Nothing ran for three weeks; the May Day week W18 (05-01..05 off) closes on Wednesday 05-06.
    const run = await runEvaluate("2026-05-11T12:00:00");
    expect(run.result?.evaluated.map((e) => e.period)).toEqual(["2026-W17", "2026-W18", "2026-W19"]);
    const rep3Streaks = (await evaluations()).filter((e) => e.userId === rep3).map((e) => [e.period, e.streak]);
    expect(rep3Streaks).toEqual([
      ["2026-W14", 0],
      ["2026-W15", 1],
      ["2026-W16", 2],
      ["2026-W17", 3],
      ["2026-W18", 4],
      ["2026-W19", 5],
    ]);
    // rep3's escalation stays open through W17–W19: still no pace warning for them.
    expect((await paceWarnings()).filter((w) => w.endsWith(rep3))).toEqual([`2026-W15 ${rep3}`]);
  });

  it("GET evaluations: a period of another cadence is a 400 naming the form; an unknown plan a 404", async () => {
    const month = await svc.api(`/api/plans/${plan.planId}/evaluations?period=2026-04`);
    expect(month.status).toBe(400);
    expect(((await month.json()) as { error: { message: string } }).error.message).toBe(
      "该计划按周考核，period 应如 2026-W50",
    );
    const bad = await svc.api(`/api/plans/${plan.planId}/evaluations?period=W15`);
    expect(bad.status).toBe(400);
    const unknown = await svc.api("/api/plans/nope/evaluations");
    expect(unknown.status).toBe(404);
    const unauth = await fetch(`${svc.url}/api/plans/${plan.planId}/evaluations`);
    expect(unauth.status).toBe(401);
  });
});

describe("evaluate run key", () => {
  it("an API run before 12:00 belongs to the previous workday's run; at 12:00 to today's", async () => {
    const res = await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: "2026-05-18T11:00:00+08:00" }));
    expect(((await res.json()) as { period: string }).period).toBe("2026-05-15");
    const noon = await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: "2026-05-18T12:00:00+08:00" }));
    expect(((await noon.json()) as { period: string }).period).toBe("2026-05-18");
  });
});
