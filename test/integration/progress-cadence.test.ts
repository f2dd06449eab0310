import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PeriodEvaluated, StoredEvaluation } from "../../src/flows/evaluation/period-evaluated.ts";
import { progressCardId } from "../../src/flows/progress/progress-card-id.ts";
import { markPromptsEvaluated } from "../../src/flows/progress/prompt-evaluated.ts";
import { cardsIn, robotTexts, say } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * MONTH and QUARTER plans next to a WEEK plan (docs/domain.md "Progress"), through the started service in
 * sandbox mode: the scheduler's tick at an injected clock, chat through the emulator and the real stream
 * client, card clicks, and POST /api/progress. The three plans share the three 华东 reps, so every rep owns a
 * target in each, and what one cadence does must leave the others alone.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let clock = shanghai("2026-01-05T09:00:00");
const [LI, R2, R3] = SMALL_PLAN_REPS;

let svc: TestService;
const plans = { WEEK: "", MONTH: "", QUARTER: "" };
const emulator = () => svc.deps.emulator!;
const cardsOf = (userId: string, prefix: string) => cardsIn(emulator(), userId, prefix);
const textsOf = (userId: string) => robotTexts(emulator(), userId);
const tick = async (local: string) => {
  clock = shanghai(local);
  const outcomes = await svc.scheduler.tick();
  await svc.dingtalk!.outbox.drain();
  // approval-reminder, confirm-reminder, evaluate, escalation-overdue and weekly-digest run every workday, retention
  // every day, and are other flows': left out.
  const others = [
    "approval-reminder",
    "confirm-reminder",
    "evaluate",
    "escalation-overdue",
    "weekly-digest",
    "retention",
  ];
  return outcomes
    .filter((o) => !others.includes(o.job))
    .map((o) => `${o.job} ${o.period} ${o.ran}`)
    .sort();
};
const runJob = async (job: string, at: string) => {
  const res = await svc.api(`/api/jobs/${job}/run`, jsonInit("POST", { at }));
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return (await res.json()) as { period: string; ran: boolean };
};
const entries = (planId: string, period: string) =>
  svc.db.sql.query<{ user_id: string; amount: string }>(
    "SELECT user_id, amount::text AS amount FROM progress_entry WHERE plan_id = $1 AND period = $2 ORDER BY id",
    [planId, period],
  );
/** Simulates the evaluation of a plan-period (the integrator's job writes this row): its claim row only. */
const markEvaluated = (planId: string, period: string, at: string) =>
  svc.db.sql.query(
    // The evaluate job may have judged the period during the ticks above: its moment is set to the one given.
    `INSERT INTO evaluated_period (plan_id, period, run_at, owners, evaluated_at) VALUES ($1, $2, $3, 3, $3)
     ON CONFLICT (plan_id, period) DO UPDATE SET run_at = EXCLUDED.run_at, evaluated_at = EXCLUDED.evaluated_at`,
    [planId, period, shanghai(at)],
  );

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  for (const cadence of ["WEEK", "MONTH", "QUARTER"] as const) {
    ({ planId: plans[cadence] } = await createSmallPlan(svc, { extra: { name: `华东${cadence}计划`, cadence } }));
    const published = await svc.api(`/api/plans/${plans[cadence]}/publish`, { method: "POST" });
    expect(published.status, await published.clone().text()).toBe(200);
  }
  await svc.dingtalk!.outbox.drain();
}, 180_000);
afterAll(() => svc?.close());

const prompts = (cadence: keyof typeof plans, period: string, userId: string) =>
  cardsOf(userId, `prg.${plans[cadence]}.${period}.`);

describe("MONTH and QUARTER prompts: the period's last workday at the prompt time", () => {
  it("February 2026 ends on a 补班 Saturday: the monthly prompt goes out on 02-28, not on Friday 02-27", async () => {
    expect((await tick("2026-02-27T16:00:00")).filter((o) => o.startsWith("monthly"))).toEqual([]);
    expect(await tick("2026-02-28T16:00:00")).toEqual(["monthly-prompt 2026-02 true"]);
    for (const rep of SMALL_PLAN_REPS) expect(prompts("MONTH", "2026-02", rep)).toHaveLength(1);
    const [card] = prompts("MONTH", "2026-02", LI!);
    // The next workday after February is Monday 03-02: answers count until its 12:00.
    expect(card!.publicData).toMatchObject({
      status: "pending",
      periodUnit: "月",
      dueText: "请在 3月2日 12:00 前填报",
      runRateText: expect.stringMatching(/^每月需完成 /),
    });
    expect(prompts("WEEK", "2026-W09", LI!)).toHaveLength(1); // the weekly plan's came on Friday, as always
  });

  it("April 2026 closes before the May Day holiday: prompt Thursday 04-30 with the week's, reminder Wednesday 05-06", async () => {
    expect(await tick("2026-04-30T16:00:00")).toEqual(["monthly-prompt 2026-04 true", "weekly-prompt 2026-W18 true"]);
    expect(prompts("MONTH", "2026-04", LI!)[0]!.publicData).toMatchObject({ dueText: "请在 5月6日 12:00 前填报" });
    expect(prompts("QUARTER", "2026-Q2", LI!)).toHaveLength(0);
    expect((await tick("2026-05-01T10:00:00")).filter((o) => o.includes("reminder"))).toEqual([]);
    expect((await tick("2026-05-06T10:00:00")).filter((o) => o.includes("progress-reminder"))).toEqual([
      "monthly-progress-reminder 2026-04 true",
      "progress-reminder 2026-W18 true",
    ]);
    const april = textsOf(R2!).filter((t) => t.includes("2026-04 "));
    expect(april).toHaveLength(1);
    expect(april[0]).toMatch(
      /华东MONTH计划.+2026-04 \(4\/1–4\/30\)[\s\S]+上月完成35万[\s\S]+上月的进度卡片[\s\S]+5月6日 12:00 评估前/,
    );
  });

  it("2026-09-30 ends a week's working days, a month and a quarter: one card each per rep and plan, once", async () => {
    expect(await tick("2026-09-30T16:00:00")).toEqual([
      "monthly-prompt 2026-09 true",
      "quarterly-prompt 2026-Q3 true",
      "weekly-prompt 2026-W40 true",
    ]);
    const again = await runJob("quarterly-prompt", "2026-09-15T09:00:00+08:00");
    expect(again).toMatchObject({ period: "2026-Q3", ran: false });
    expect((await tick("2026-10-02T16:00:00")).filter((o) => o.includes("prompt"))).toEqual([]);
    for (const rep of SMALL_PLAN_REPS) {
      expect(prompts("WEEK", "2026-W40", rep)).toHaveLength(1);
      expect(prompts("MONTH", "2026-09", rep)).toHaveLength(1);
      expect(prompts("QUARTER", "2026-Q3", rep)).toHaveLength(1);
    }
    expect(prompts("QUARTER", "2026-Q3", LI!)[0]!.publicData).toMatchObject({
      periodUnit: "季度",
      dueText: "请在 10月8日 12:00 前填报",
    });
  });
});

describe("chat after the holiday: 上月 / 上季度 / 上周 name the period before of that cadence", () => {
  it("on the evaluation day morning each goes to the plan of its cadence only; the reminders skip who reported", async () => {
    clock = shanghai("2026-10-08T09:00:00");
    expect(await say(emulator(), LI!, "上月完成35万")).toMatch(/^已记录：2026-09（上月） 销售额 35万元。/);
    expect(await say(emulator(), R2!, "上季度完成120万")).toMatch(/^已记录：2026-Q3（上季度） 销售额 120万元。/);
    expect(await say(emulator(), R3!, "上周完成3万")).toMatch(/^已记录：2026-W40（上周） 销售额 3万元。/);
    expect(await entries(plans.MONTH, "2026-09")).toEqual([{ user_id: LI, amount: "350000" }]);
    expect(await entries(plans.QUARTER, "2026-Q3")).toEqual([{ user_id: R2, amount: "1200000" }]);
    expect(await entries(plans.WEEK, "2026-W40")).toEqual([{ user_id: R3, amount: "30000" }]);
    expect(await entries(plans.MONTH, "2026-10")).toEqual([]); // not taken for the current month
    // The chat report settled the prompt card of that period too.
    expect(prompts("MONTH", "2026-09", LI!)[0]!.publicData).toMatchObject({ status: "reported" });

    expect((await tick("2026-10-08T10:00:00")).filter((o) => o.includes("progress-reminder"))).toEqual([
      "monthly-progress-reminder 2026-09 true",
      "progress-reminder 2026-W40 true",
      "quarterly-progress-reminder 2026-Q3 true",
    ]);
    const about = (userId: string, period: string) => textsOf(userId).filter((t) => t.includes(`${period} (`));
    expect(about(LI!, "2026-09")).toEqual([]);
    expect(about(R2!, "2026-09")).toHaveLength(1);
    expect(about(R2!, "2026-Q3")).toEqual([]);
    expect(about(LI!, "2026-Q3")).toHaveLength(1);
    expect(about(LI!, "2026-Q3")[0]).toMatch(/上季度完成35万[\s\S]+10月8日 12:00 评估前/);
    expect(about(R3!, "2026-W40")).toEqual([]);
    expect(await runJob("monthly-progress-reminder", "2026-10-08T11:00:00+08:00")).toMatchObject({
      period: "2026-09",
      ran: false,
    });
    expect(about(R2!, "2026-09")).toHaveLength(1);
  });

  it("once the period has closed (12:00 on its evaluation day) a late figure is refused and nothing is stored", async () => {
    clock = shanghai("2026-10-08T12:00:00");
    expect(await say(emulator(), R3!, "上月完成8万")).toMatch(
      /^2026-09（上月）已于 10月8日 12:00 评估，不再接受填报，本条未记录/,
    );
    expect(await entries(plans.MONTH, "2026-09")).toEqual([{ user_id: LI, amount: "350000" }]);
  });
});

describe("a figure for a period already evaluated: kept in history, the evaluation stands", () => {
  it("chat: stored, and the reply says when it was evaluated and that the result does not change", async () => {
    // An admin evaluated October early (POST /api/jobs/evaluate/run with a future `at`): the month is still open.
    await markEvaluated(plans.MONTH, "2026-10", "2026-10-20T12:00:00");
    clock = shanghai("2026-10-21T09:00:00");
    const reply = await say(emulator(), LI!, "本月完成20万");
    expect(reply).toMatch(/^已记录：2026-W43 销售额 20万元；2026-10 销售额 20万元；2026-Q4 销售额 20万元。/);
    expect(reply).toContain("2026-10（本月）已于 10月20日 12:00 评估，本次数字已记录，但不改变评估结果。");
    expect(await entries(plans.MONTH, "2026-10")).toEqual([{ user_id: LI, amount: "200000" }]);
    // The same message also reported the weekly and quarterly plans, which are not evaluated: nothing said of them.
    expect(reply.match(/不改变评估结果/g)).toHaveLength(1);
  });

  it("card: stored, the click's notice says the evaluation stands; after markPromptsEvaluated the card shows 已评估", async () => {
    expect((await tick("2026-10-30T16:00:00")).filter((o) => o.startsWith("monthly"))).toEqual([
      "monthly-prompt 2026-10 true",
    ]);
    clock = shanghai("2026-10-30T17:00:00");
    const card = progressCardId(plans.MONTH, "2026-10", R2!);
    const click = await emulator().clickCard(card, R2!, { action: "report", amount: "6万" }, "submit");
    expect(click.status).toBe("applied");
    expect(JSON.stringify(click)).toContain(
      "2026-10（本月）已于 10月20日 12:00 评估，本次数字已记录，但不改变评估结果。",
    );
    expect(await entries(plans.MONTH, "2026-10")).toEqual([
      { user_id: LI, amount: "200000" },
      { user_id: R2, amount: "60000" },
    ]);

    const verdict = (userId: string, v: Partial<StoredEvaluation>): StoredEvaluation => ({
      userId,
      period: "2026-10",
      targetIds: [],
      target: 400_000n,
      actual: null,
      attainment: null,
      status: "MISSED",
      reason: "NO_REPORT",
      streak: 1,
      previousStreak: 0,
      ytdActual: 350_000n,
      ytdTarget: 4_300_000n,
      annualTarget: 5_200_000n,
      requiredRunRate: 400_000n,
      ...v,
    });
    const plan = await svc.db.prisma.plan.findUniqueOrThrow({ where: { id: plans.MONTH } });
    const e: PeriodEvaluated = {
      plan: { ...plan, missThreshold: Number(plan.missThreshold) },
      period: "2026-10",
      at: shanghai("2026-11-02T12:00:00"),
      evaluations: [
        verdict(LI!, { actual: 200_000n, attainment: 0.5, reason: "BELOW_TARGET" }),
        verdict(R2!, { actual: 440_000n, attainment: 1.1, status: "MET", reason: null, streak: 0 }),
        verdict(R3!, {}),
        // No prompt was sent for November: nothing to redraw.
        verdict(LI!, { period: "2026-11" }),
      ],
    };
    const mark = () => svc.db.prisma.$transaction((tx) => markPromptsEvaluated(tx, svc.deps, e));
    expect(await mark()).toBe(3);
    expect(await mark()).toBe(0); // once per card
    await svc.dingtalk!.outbox.drain();
    const shown = (userId: string) => prompts("MONTH", "2026-10", userId)[0]!.publicData;
    expect(shown(LI!)).toMatchObject({ status: "closed", statusText: "已评估：完成 20万元，50%，未达标" });
    expect(shown(R2!)).toMatchObject({ status: "closed", statusText: "已评估：完成 44万元，达成 110%" });
    expect(shown(R3!)).toMatchObject({ status: "closed", statusText: "已评估：未填报" });
    expect(prompts("MONTH", "2026-11", LI!)).toEqual([]);
    // A closed card takes no figure: a click on it is refused (its period has closed), nothing stored.
    clock = shanghai("2026-11-03T09:00:00");
    const late = await emulator().clickCard(card, R2!, { action: "report", amount: "7万" }, "submit");
    expect(JSON.stringify(late)).toContain("2026-10（上月）已于 11月2日 12:00 评估，不再接受填报，本条未记录");
    expect(await entries(plans.MONTH, "2026-10")).toHaveLength(2);
  });

  it("POST /api/progress: stored, and the answer lists the evaluated plan-periods (empty when none)", async () => {
    await markEvaluated(plans.QUARTER, "2026-Q3", "2026-10-08T12:00:00");
    const post = (body: unknown) => svc.api("/api/progress", jsonInit("POST", body));
    const late = await post({
      entries: [
        { userId: R3, planId: plans.QUARTER, period: "2026-Q3", amount: 900000 },
        { userId: R3, planId: plans.WEEK, period: "2026-W44", amount: 50000 },
      ],
    });
    expect(late.status).toBe(200);
    expect(await late.json()).toEqual({
      created: 2,
      unchanged: 0,
      evaluated: [{ planId: plans.QUARTER, period: "2026-Q3", evaluatedAt: "2026-10-08T04:00:00.000Z" }],
    });
    expect(await entries(plans.QUARTER, "2026-Q3")).toEqual([
      { user_id: R2, amount: "1200000" },
      { user_id: R3, amount: "900000" },
    ]);
    const fresh = await post({ entries: [{ userId: R3, planId: plans.WEEK, period: "2026-W45", amount: 1 }] });
    expect(await fresh.json()).toEqual({ created: 1, unchanged: 0, evaluated: [] });
  });
});
