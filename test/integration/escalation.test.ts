import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EvaluationReason, EvaluationStatus } from "../../src/domain/evaluate-period.ts";
import {
  type EscalationCounts,
  escalateAfterEvaluation,
  raiseOverdueEscalations,
} from "../../src/flows/escalation/index.ts";
import type { StoredEvaluation } from "../../src/flows/evaluation/period-evaluated.ts";
import { cardsIn, robotTexts, say } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Escalation after consecutive misses (docs/domain.md "Evaluation and escalation"), driven the way the evaluate
 * job drives it: evaluation rows stored, then escalateAfterEvaluation in the same transaction; cards clicked
 * through the real stream client and the emulator. The small plan's reps (李娜 r11001, 赵涛 r11002, 胡玉兰
 * r11003) report to 王伟 (m11), who reports to 王建国 (wangjianguo, the director); 王伟 owns the plan.
 */

let svc: TestService;
let planId: string;
let leafOf: Record<string, string>;
const emulator = () => svc.deps.emulator!;
const escCards = (userId: string) => cardsIn(emulator(), userId, "esc.");
const texts = (userId: string) => robotTexts(emulator(), userId);
const card = (outTrackId: string) => emulator().getCard(outTrackId)!;

interface Row {
  userId: string;
  status: EvaluationStatus;
  reason?: EvaluationReason | null;
  actual?: bigint | null;
  streak: number;
  previousStreak: number;
  ytdActual?: bigint;
  ytdTarget?: bigint;
}

/** Stores a period's evaluation rows and runs escalateAfterEvaluation in the same transaction, as the job does. */
async function evaluate(period: string, at: string, rows: Row[], store = true): Promise<EscalationCounts> {
  const plan = await svc.db.prisma.plan.findUniqueOrThrow({ where: { id: planId } });
  const evaluations: StoredEvaluation[] = rows.map((r) => {
    const target = 100_000n;
    const actual = r.actual === undefined ? (r.status === "MET" ? 110_000n : 60_000n) : r.actual;
    return {
      userId: r.userId,
      period,
      targetIds: [leafOf[r.userId]!],
      target,
      actual,
      attainment: actual === null ? null : Number(actual) / Number(target),
      status: r.status,
      reason: r.reason === undefined ? (r.status === "MISSED" ? "BELOW_TARGET" : null) : r.reason,
      streak: r.streak,
      previousStreak: r.previousStreak,
      ytdActual: r.ytdActual ?? 2_000_000n,
      ytdTarget: r.ytdTarget ?? 2_000_000n,
      annualTarget: 5_200_000n,
      requiredRunRate: 120_000n,
    };
  });
  const counts = await svc.db.prisma.$transaction(async (tx) => {
    if (store) {
      await tx.evaluatedPeriod.create({ data: { planId, period, runAt: new Date(at), owners: rows.length } });
      await tx.periodEvaluation.createMany({
        data: evaluations.map(({ previousStreak: _, ...e }) => ({ planId, ...e })),
      });
    }
    return escalateAfterEvaluation(tx, svc.deps, {
      plan: {
        id: plan.id,
        name: plan.name,
        fiscalYear: plan.fiscalYear,
        metric: plan.metric,
        cadence: plan.cadence,
        timezone: plan.timezone,
        ownerUserId: plan.ownerUserId,
        missThreshold: plan.missThreshold,
        escalateAfter: plan.escalateAfter,
      },
      period,
      at: new Date(at),
      evaluations,
    });
  });
  await svc.dingtalk!.outbox.drain();
  return counts;
}

/** Everything a click could change, to assert a refused click changed nothing. */
async function snapshot() {
  const q = (sql: string) => svc.db.sql.query(sql);
  return {
    escalations: await q("SELECT * FROM escalation ORDER BY id"),
    levels: await q("SELECT * FROM escalation_level ORDER BY escalation_id, level"),
    actions: await q("SELECT * FROM escalation_action ORDER BY escalation_id, level"),
    requests: await q("SELECT id FROM change_request ORDER BY id"),
  };
}

async function click(outTrackId: string, userId: string, action: "coach" | "adjust" | "ack") {
  const result = await emulator().clickCard(outTrackId, userId, { action }, action);
  expect(result.status).toBe("applied");
  await svc.dingtalk!.outbox.drain();
  return JSON.stringify(result.status === "applied" ? result.response : null);
}

const escalationOf = (userId: string, status = "OPEN") =>
  svc.db.prisma.escalation.findFirstOrThrow({
    where: { planId, ownerUserId: userId, status: status as "OPEN" },
    include: { levels: { orderBy: { level: "asc" } } },
    orderBy: { createdAt: "desc" },
  });

const api = async (query: string) => {
  const res = await svc.api(`/api/escalations${query}`);
  return {
    status: res.status,
    body: (await res.json()) as { escalations: Record<string, unknown>[]; error?: { message: string } },
  };
};

beforeAll(async () => {
  // Business time is fixed; the evaluations below carry their own `at`.
  svc = await startTestService(
    { DINGTALK_QPS: "500" },
    { sandbox: { demo: false }, now: () => new Date("2026-05-11T02:00:00Z") },
  );
  const plan = await createSmallPlan(svc);
  planId = plan.planId;
  leafOf = Object.fromEntries(SMALL_PLAN_REPS.map((u, i) => [u, plan.leafIds[i]!]));
  const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
}, 120_000);
afterAll(() => svc?.close());

describe("escalation after consecutive misses", () => {
  it("first miss: a pace warning to the owner only; on leave: none; a rerun sends nothing new", async () => {
    const rows: Row[] = [
      { userId: "r11001", status: "MISSED", streak: 1, previousStreak: 0 },
      { userId: "r11002", status: "EXCUSED", reason: "ON_LEAVE", streak: 0, previousStreak: 0, ytdActual: 1_000_000n },
      { userId: "r11003", status: "MISSED", actual: null, reason: "NO_REPORT", streak: 1, previousStreak: 0 },
    ];
    const counts = await evaluate("2026-W20", "2026-05-18T04:00:00Z", rows);
    expect(counts).toEqual({ opened: 0, raised: 0, resolved: 0, closed: 0, warnings: 2 });
    // The same hand-off again (the evaluation rows stored already): at most one warning per owner and period.
    expect(await evaluate("2026-W20", "2026-05-18T04:00:00Z", rows, false)).toMatchObject({ warnings: 0 });
    expect(texts("r11001")).toEqual([
      expect.stringMatching(/风险预警[\s\S]*W20 60%，本期未达标[\s\S]*每周需完成 12万元/),
    ]);
    expect(texts("r11002")).toEqual([]);
    expect(texts("r11003")).toEqual([expect.stringContaining("W20 未填报")]);
    expect(escCards("m11")).toEqual([]);
  });

  it("second miss: one card to the direct manager, one private message to the owner (no separate warning)", async () => {
    const counts = await evaluate("2026-W21", "2026-05-25T04:00:00Z", [
      {
        userId: "r11001",
        status: "MISSED",
        actual: null,
        reason: "NO_REPORT",
        streak: 2,
        previousStreak: 1,
        ytdActual: 1_500_000n,
      },
      { userId: "r11002", status: "MET", streak: 0, previousStreak: 0 },
      { userId: "r11003", status: "MISSED", streak: 2, previousStreak: 1 },
    ]);
    expect(counts).toMatchObject({ opened: 2, raised: 0, resolved: 0, warnings: 0 });
    const cards = escCards("m11");
    expect(cards).toHaveLength(2);
    const lina = await escalationOf("r11001");
    expect(lina).toMatchObject({ streak: 2, missedPeriods: ["2026-W20", "2026-W21"], openedPeriod: "2026-W21" });
    expect(lina.levels).toEqual([
      expect.objectContaining({
        level: 1,
        addresseeUserId: "m11",
        cause: "OPENED",
        period: "2026-W21",
        planOwner: false,
      }),
    ]);
    const view = card(lina.levels[0]!.outTrackId);
    expect(view.publicData).toMatchObject({
      headline: "李娜（华东大区）连续2周未达标",
      reasonText: "连续2周未达标：W20 60%，W21 未填报",
      status: "open",
    });
    expect(view.privateData.m11).toMatchObject({ canAct: "true" });
    const mine = texts("r11001");
    expect(mine).toHaveLength(2); // W20's warning, then this one message
    expect(mine[1]).toMatch(/连续2周未达标：W20 60%，W21 未填报[\s\S]*差 50万元[\s\S]*已同步给王伟/);
    expect(texts("m11")).toEqual([]);
  });

  it("a click by anyone but the addressee changes nothing and says why", async () => {
    const lina = await escalationOf("r11001");
    const before = await snapshot();
    const said = await click(lina.levels[0]!.outTrackId, "wangjianguo", "ack");
    expect(said).toMatch(/只有王伟可以处理/);
    expect(await snapshot()).toEqual(before);
  });

  it("已知悉 by the manager is recorded with who and when; another choice afterwards changes nothing", async () => {
    const lina = await escalationOf("r11001");
    const out = lina.levels[0]!.outTrackId;
    await click(out, "m11", "ack");
    const [action] = await svc.db.prisma.escalationAction.findMany({ where: { escalationId: lina.id } });
    expect(action).toMatchObject({ level: 1, userId: "m11", action: "ACK" });
    expect(card(out).publicData).toMatchObject({
      status: "acknowledged",
      statusText: expect.stringMatching(/^已知悉 · 王伟/),
    });
    const before = await snapshot();
    expect(await click(out, "m11", "coach")).toMatch(/已于.+选择「已知悉」，无需重复操作/);
    expect(await click(out, "m11", "ack")).toMatch(/已处理，无需重复操作/);
    expect(await snapshot()).toEqual(before);
  });

  it("发起目标调整 asks the manager in chat for the amount and reason; the reply, once confirmed, is a routed request", async () => {
    const hu = await escalationOf("r11003");
    await click(hu.levels[0]!.outTrackId, "m11", "adjust");
    expect(await svc.db.prisma.changeRequest.count({ where: { targetId: leafOf.r11003 } })).toBe(0);
    const [action] = await svc.db.prisma.escalationAction.findMany({ where: { escalationId: hu.id } });
    expect(action).toMatchObject({ action: "ADJUST", changeRequestIds: [] });
    expect(card(hu.levels[0]!.outTrackId).publicData).toMatchObject({ status: "adjusting" });
    expect(texts("m11").at(-1)).toMatch(/要调整胡玉兰的目标.+请直接回复调整后的金额和原因/);
    const target = await svc.db.prisma.target.findUniqueOrThrow({ where: { id: leafOf.r11003 } });
    const lower = target.amount - target.amount / 20n; // −5 %: the manager alone would approve, but asks himself
    const preview = await say(emulator(), "m11", `调整为${lower}元，原因：大客户项目推迟`);
    expect(preview).toContain("确认提交吗");
    expect(preview).toMatch(/已跳过 王伟：申请人本人/);
    expect(await say(emulator(), "m11", "确认")).toContain("已确认并提交目标调整申请");
    const [request] = await svc.db.prisma.changeRequest.findMany({ where: { targetId: leafOf.r11003 } });
    expect(request).toMatchObject({
      kind: "CHANGE",
      source: "ESCALATION",
      status: "PENDING",
      requesterUserId: "m11",
      currentAmount: target.amount,
      proposedAmount: lower,
      reason: "大客户项目推迟",
    });
    await svc.dingtalk!.outbox.drain();
    expect(cardsIn(emulator(), "wangjianguo", "apr.")).toHaveLength(1);
  });

  it("a third miss raises it to the director: a new card saying why; the manager's card can no longer act", async () => {
    const counts = await evaluate("2026-W22", "2026-06-01T04:00:00Z", [
      { userId: "r11001", status: "MISSED", actual: null, reason: "NO_REPORT", streak: 3, previousStreak: 2 },
      { userId: "r11002", status: "MET", streak: 0, previousStreak: 0 },
      { userId: "r11003", status: "MET", streak: 0, previousStreak: 2 },
    ]);
    expect(counts).toMatchObject({ opened: 0, raised: 1, resolved: 1 });
    const lina = await escalationOf("r11001");
    expect(lina.levels.map((l) => [l.level, l.addresseeUserId, l.cause])).toEqual([
      [1, "m11", "OPENED"],
      [2, "wangjianguo", "MISSED_AGAIN"],
    ]);
    const [directorCard] = escCards("wangjianguo");
    expect(card(directorCard!.outTrackId).publicData).toMatchObject({
      levelText: "第2级：W22 未填报，再次未达标，已上报",
      reasonText: "连续3周未达标：W20 60%，W21 未填报，W22 未填报",
      status: "open",
    });
    const managerCard = card(lina.levels[0]!.outTrackId);
    expect(managerCard.publicData).toMatchObject({
      status: "raised",
      statusText: "你已选择「已知悉」；已上报至王建国",
    });
    expect(managerCard.privateData.m11).toMatchObject({
      canAct: "false",
      noticeText: "已上报至上级，此卡片无需你再处理",
    });
    // 胡玉兰 met W22: resolved, her card redraws as 已恢复, she and 王伟 are told.
    const hu = await escalationOf("r11003", "RESOLVED");
    expect(hu).toMatchObject({ closeReason: "RECOVERED", closedPeriod: "2026-W22" });
    expect(card(hu.levels[0]!.outTrackId).publicData).toMatchObject({ status: "resolved" });
    expect(texts("r11003").at(-1)).toMatch(/W22 110%，已恢复达标/);
    expect(texts("m11").at(-1)).toMatch(/以下同事已恢复达标.*胡玉兰（W22 110%）/);
  });

  it("clicked after it went past that person, or after it was resolved: nothing changes, the clicker is told", async () => {
    const lina = await escalationOf("r11001");
    const hu = await escalationOf("r11003", "RESOLVED");
    const before = await snapshot();
    expect(await click(lina.levels[0]!.outTrackId, "m11", "coach")).toMatch(/已上报至王建国，此卡片无需你再处理/);
    expect(await click(hu.levels[0]!.outTrackId, "m11", "ack")).toMatch(/胡玉兰已恢复达标，升级已关闭/);
    expect(await snapshot()).toEqual(before);
  });

  it("a met period resolves it and tells everyone it reached, one message each", async () => {
    const managerBefore = texts("m11").length;
    const counts = await evaluate("2026-W23", "2026-06-08T04:00:00Z", [
      { userId: "r11001", status: "MET", streak: 0, previousStreak: 3 },
    ]);
    expect(counts).toMatchObject({ resolved: 1, raised: 0, opened: 0 });
    const lina = await escalationOf("r11001", "RESOLVED");
    for (const l of lina.levels) expect(card(l.outTrackId).publicData).toMatchObject({ status: "resolved" });
    expect(texts("m11").slice(managerBefore)).toEqual([expect.stringMatching(/李娜（W23 110%）/)]);
    expect(texts("wangjianguo")).toEqual([expect.stringMatching(/李娜（W23 110%）/)]);
    expect(texts("r11001").at(-1)).toMatch(/已恢复达标/);
  });
});

describe("no action within 2 workdays", () => {
  it("goes one level up only once 2 full workdays passed, National Day not counted (10-10 is a 补班 Saturday)", async () => {
    await evaluate("2026-W38", "2026-09-21T04:00:00Z", [
      { userId: "r11002", status: "MISSED", streak: 1, previousStreak: 0 },
    ]);
    // Evaluated (on purpose late) on Wednesday 09-30: the card goes to 王伟 then.
    await evaluate("2026-W39", "2026-09-30T04:00:00Z", [
      { userId: "r11002", status: "MISSED", streak: 2, previousStreak: 1 },
    ]);
    const zhao = await escalationOf("r11002");
    expect(zhao.levels).toHaveLength(1);
    expect(await raiseOverdueEscalations(svc.deps, new Date("2026-10-09T04:00:00Z"))).toMatchObject({ raised: 0 });
    // 10-10, the 补班 Saturday: the daily escalation-overdue job (as the scheduler or an admin runs it) raises it.
    const run = await svc.api(
      "/api/jobs/escalation-overdue/run",
      jsonInit("POST", { at: "2026-10-10T12:30:00+08:00" }),
    );
    expect(await run.json()).toMatchObject({ job: "escalation-overdue", period: "2026-10-10", ran: true });
    expect(await raiseOverdueEscalations(svc.deps, new Date("2026-10-10T05:00:00Z"))).toMatchObject({ raised: 0 });
    await svc.dingtalk!.outbox.drain();
    const after = await escalationOf("r11002");
    expect(after.levels.map((l) => [l.addresseeUserId, l.cause])).toEqual([
      ["m11", "OPENED"],
      ["wangjianguo", "OVERDUE"],
    ]);
    expect(card(after.levels[1]!.outTrackId).publicData).toMatchObject({
      levelText: "第2级：王伟 2个工作日未处理，已上报",
    });
    expect(card(after.levels[0]!.outTrackId).publicData).toMatchObject({ status: "raised" });
  });

  it("an action at the current level stops its clock", async () => {
    const zhao = await escalationOf("r11002");
    await click(zhao.levels[1]!.outTrackId, "wangjianguo", "coach");
    expect(await raiseOverdueEscalations(svc.deps, new Date("2026-10-30T04:00:00Z"))).toMatchObject({ raised: 0 });
    expect((await escalationOf("r11002")).levels).toHaveLength(2);
  });
});

describe("edge cases", () => {
  it("an owner who left mid-streak: the escalation closes as 人员离职, the addressees are told, the API says so", async () => {
    await evaluate("2026-W40", "2026-10-12T04:00:00Z", [
      { userId: "r11003", status: "MISSED", streak: 1, previousStreak: 0 },
    ]);
    await evaluate("2026-W41", "2026-10-19T04:00:00Z", [
      { userId: "r11003", status: "MISSED", streak: 2, previousStreak: 1 },
    ]);
    const hu = await escalationOf("r11003");
    await svc.db.sql.query("UPDATE staff SET active = false WHERE user_id = 'r11003'");
    try {
      const counts = await evaluate("2026-W42", "2026-10-26T04:00:00Z", [
        { userId: "r11001", status: "MET", streak: 0, previousStreak: 0 },
      ]);
      expect(counts).toMatchObject({ closed: 1 });
      const closed = await svc.db.prisma.escalation.findUniqueOrThrow({ where: { id: hu.id } });
      expect(closed).toMatchObject({ status: "CLOSED", closeReason: "OWNER_LEFT", closedPeriod: "2026-W42" });
      expect(card(hu.levels[0]!.outTrackId).publicData).toMatchObject({ status: "closed" });
      expect(texts("m11").at(-1)).toMatch(/以下同事已离职（人员离职）.*需要重新分配：胡玉兰/);
      const { body } = await api(`?planId=${planId}&status=CLOSED`);
      expect(body.escalations).toEqual([
        expect.objectContaining({
          closeReasonText: "人员离职",
          needsReassignment: true,
          owner: expect.objectContaining({ active: false }),
        }),
      ]);
      // The target tree shows the owner inactive, so the leaf stands out as needing a new owner.
      const tree = await (await svc.api(`/api/plans/${planId}/targets`)).text();
      expect(tree).toMatch(/"userId":"r11003","name":"胡玉兰","active":false/);
      const readiness = await (await svc.api(`/api/plans/${planId}/readiness`)).text();
      expect(readiness).toMatch(
        /INACTIVE_OWNER[^}]*胡玉兰已离职，需要重新分配|胡玉兰已离职，需要重新分配[^}]*INACTIVE_OWNER/,
      );
    } finally {
      await svc.db.sql.query("UPDATE staff SET active = true WHERE user_id = 'r11003'");
    }
  });

  it("a chain that ends: after the director, the plan owner is the last level; one more miss sends nothing", async () => {
    await svc.db.sql.query("UPDATE plan SET owner_user_id = 'mk1' WHERE id = $1", [planId]);
    const period = (w: number) => `2026-W${w}`;
    const at = (day: string) => `2026-${day}T04:00:00Z`;
    await evaluate(period(43), at("11-02"), [{ userId: "r11001", status: "MISSED", streak: 1, previousStreak: 0 }]);
    await evaluate(period(44), at("11-09"), [{ userId: "r11001", status: "MISSED", streak: 2, previousStreak: 1 }]);
    await evaluate(period(45), at("11-16"), [{ userId: "r11001", status: "MISSED", streak: 3, previousStreak: 2 }]);
    const third = await evaluate(period(46), at("11-23"), [
      { userId: "r11001", status: "MISSED", streak: 4, previousStreak: 3 },
    ]);
    expect(third.raised).toBe(1);
    const cardsBefore = emulator().listCards().length;
    const fourth = await evaluate(period(47), at("11-30"), [
      { userId: "r11001", status: "MISSED", streak: 5, previousStreak: 4 },
    ]);
    expect(fourth.raised).toBe(0);
    expect(emulator().listCards()).toHaveLength(cardsBefore);
    const lina = await escalationOf("r11001");
    expect(lina.levels.map((l) => [l.addresseeUserId, l.planOwner])).toEqual([
      ["m11", false],
      ["wangjianguo", false],
      ["mk1", true],
    ]);
    expect(lina.ladderEndedAt).not.toBeNull();
    expect(lina.streak).toBe(5);
    // The overdue clock stops at the end of the ladder too.
    expect(await raiseOverdueEscalations(svc.deps, new Date("2026-12-31T04:00:00Z"))).toMatchObject({ raised: 0 });
  });
});

describe("an inactive manager", () => {
  it("is skipped: the card goes to the next manager up", async () => {
    await svc.db.sql.query("UPDATE staff SET active = false WHERE user_id = 'm11'");
    try {
      await evaluate("2026-W48", "2026-11-30T05:00:00Z", [
        { userId: "r11003", status: "MISSED", streak: 1, previousStreak: 0 },
      ]);
      const counts = await evaluate("2026-W49", "2026-12-07T04:00:00Z", [
        { userId: "r11003", status: "MISSED", streak: 2, previousStreak: 1 },
      ]);
      expect(counts.opened).toBe(1);
      const hu = await escalationOf("r11003");
      expect(hu.levels.map((l) => l.addresseeUserId)).toEqual(["wangjianguo"]);
      expect(texts("r11003").at(-1)).toMatch(/已同步给王建国/);
    } finally {
      await svc.db.sql.query("UPDATE staff SET active = true WHERE user_id = 'm11'");
    }
  });
});

describe("GET /api/escalations", () => {
  it("filters by plan and status (any case) and shows levels and actions", async () => {
    const open = await api(`?planId=${planId}&status=Open`);
    expect(open.status).toBe(200);
    expect(open.body.escalations.map((e) => (e.owner as { userId: string }).userId).sort()).toEqual([
      "r11001",
      "r11002",
      "r11003",
    ]);
    const zhao = open.body.escalations.find((e) => (e.owner as { userId: string }).userId === "r11002")!;
    expect(zhao).toMatchObject({
      status: "OPEN",
      streak: 2,
      currentLevel: 2,
      addressee: { userId: "wangjianguo", name: "王建国" },
      missedPeriods: [
        { period: "2026-W38", target: "100000", actual: "60000", attainment: 0.6, reason: "BELOW_TARGET" },
        { period: "2026-W39", target: "100000", actual: "60000", attainment: 0.6, reason: "BELOW_TARGET" },
      ],
      levels: [
        expect.objectContaining({ level: 1, cause: "OPENED", addressee: { userId: "m11", name: "王伟" } }),
        expect.objectContaining({ level: 2, cause: "OVERDUE", addressee: { userId: "wangjianguo", name: "王建国" } }),
      ],
      actions: [expect.objectContaining({ level: 2, action: "COACH", by: { userId: "wangjianguo", name: "王建国" } })],
    });
    const resolved = await api("?status=RESOLVED");
    expect(resolved.body.escalations).toHaveLength(2);
    expect((await api("")).body.escalations).toHaveLength(6);
  });

  it("refuses a bad status or an unknown plan with a clear message", async () => {
    const bad = await api("?status=pending");
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/status 只能是 open、resolved 或 closed/);
    const unknown = await api("?planId=nope");
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).toMatch(/计划 nope 不存在/);
  });
});
