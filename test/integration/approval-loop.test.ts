import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import { cardsIn, robotTexts, say } from "../helpers/chat.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Issue #13's acceptance, end to end in sandbox mode: the emulator, the real dingtalk-stream client (chat
 * messages and card clicks come in over its WebSocket), the outbox worker, the admin API; only the clock is
 * injected. 李娜 (r11001) asks in chat for −3 %: the bot echoes it, she confirms, 王伟 (m11, her manager)
 * approves on the card, the tree balances through 华东小计划's 待分配, she gets a new target card and confirms
 * it. 赵涛 (r11002) asks for −10 %: 王伟 approves, 王建国 (the director) rejects with a comment, nothing
 * changes and 赵涛 is told. A forged click by someone else changes nothing.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let clock = shanghai("2026-04-07T09:00:00");
let svc: TestService;
let plan: SmallPlan;
const [LINA, ZHAO] = SMALL_PLAN_REPS;
const MANAGER = "m11";
const emulator = () => svc.deps.emulator!;
const approvalCards = (userId: string) => cardsIn(emulator(), userId, "apr.");
const drain = () => svc.dingtalk!.outbox.drain();
const amountOf = async (id: string) =>
  BigInt(
    (await svc.db.sql.query<{ amount: string }>("SELECT amount::text FROM target WHERE id = $1", [id]))[0]!.amount,
  );
/** Every amount, version and the plan total: what "nothing changes" means. */
const snapshot = () =>
  svc.db.sql.query(
    `SELECT id, amount::text, version FROM target WHERE plan_id = $1
      UNION ALL SELECT 'total', total::text, 0 FROM plan WHERE id = $1 ORDER BY id`,
    [plan.planId],
  );
const clickCard = async (outTrackId: string, userId: string, params: Record<string, unknown>) => {
  const result = await emulator().clickCard(outTrackId, userId, params, String(params.action));
  expect(result.status).toBe("applied");
  await drain();
  return JSON.stringify(result.status === "applied" ? result.response : null);
};
const requests = async () =>
  (
    (await (await svc.api(`/api/change-requests?planId=${plan.planId}`)).json()) as {
      changeRequests: { id: string; targetId: string; status: string; steps: { approverUserId: string }[] }[];
    }
  ).changeRequests;

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

describe("target-change approval, end to end in sandbox mode", () => {
  it("−3 % asked in chat, confirmed, approved by the manager on the card: applied, balanced, a new card confirmed", async () => {
    const leaf = plan.leafIds[0]!;
    const current = await amountOf(leaf);
    const proposed = current - (current * 3n) / 100n;
    const preview = await say(emulator(), LINA, `申请把目标调整为${proposed}元，原因：大客户流失`);
    expect(preview).toContain("目标调整申请（待确认）");
    expect(preview).toContain("（-15.6万，-3.0%）");
    expect(preview).toMatch(/审批：王伟（直属上级）/);
    expect(preview).toContain("确认提交吗？回复“确认”");
    expect(await requests()).toEqual([]); // nothing is stored before 「确认」

    const submitted = await say(emulator(), LINA, "确认");
    expect(submitted).toContain("已确认并提交目标调整申请");
    await drain();
    const [card, ...more] = approvalCards(MANAGER);
    expect(more).toHaveLength(0);
    expect(card!.publicData.diffText).toContain("-3.0%");
    expect(card!.privateData).toMatchObject({ canAct: "true" });
    // The step is in the manager's DingTalk 待办 too, so it is not lost in the chat.
    expect(emulator().listTodos(MANAGER)).toEqual([
      expect.objectContaining({ subject: expect.stringContaining("审批目标调整：李娜"), done: false }),
    ]);

    // A forged click by a colleague changes nothing.
    const before = await snapshot();
    expect(await clickCard(card!.outTrackId, ZHAO, { action: "approve" })).toContain("只有审批人王伟可以处理");
    expect(await snapshot()).toEqual(before);
    expect((await requests())[0]!.status).toBe("PENDING");

    clock = shanghai("2026-04-07T11:00:00");
    await clickCard(card!.outTrackId, MANAGER, { action: "approve", comment: "同意，下季度补回" });
    expect(await amountOf(leaf)).toBe(proposed);
    expect(
      emulator()
        .listTodos(MANAGER)
        .map((t) => t.done),
    ).toEqual([true]);
    // Siblings and the reserve balance to the parent exactly, in one SQL query.
    const [balance] = await svc.db.sql.query<{ parent: string; children: string }>(
      `SELECT p.amount::text AS parent, sum(c.amount)::text AS children
         FROM target p JOIN target c ON c.parent_id = p.id AND c.state <> 'ARCHIVED'
        WHERE p.id = $1 GROUP BY p.amount`,
      [plan.rootTargetId],
    );
    expect(balance!.children).toBe(balance!.parent);
    expect(robotTexts(emulator(), LINA).at(-1)).toMatch(/已审批通过并生效[\s\S]*新的目标卡片已发给你，请确认/);

    const newCard = cardsIn(emulator(), LINA, "tgt.").find((c) => c.outTrackId === `tgt.${leaf}.v2.${LINA}`);
    expect(newCard).toBeDefined();
    await clickCard(newCard!.outTrackId, LINA, { action: "confirm" });
    const [ack] = await svc.db.sql.query<{ version: number }>(
      "SELECT version FROM target_ack WHERE target_id = $1 ORDER BY version DESC LIMIT 1",
      [leaf],
    );
    expect(ack!.version).toBe(2);
  });

  it("−10 % goes manager → director; the director rejects with a comment: nothing changes and the rep is told", async () => {
    const leaf = plan.leafIds[1]!;
    const current = await amountOf(leaf);
    const proposed = current - current / 10n;
    clock = shanghai("2026-04-08T09:00:00");
    const preview = await say(emulator(), ZHAO, `目标改成${proposed}元 因为渠道调整`);
    expect(preview).toMatch(/审批：王伟（直属上级） → 王建国（总监）/);
    expect(await say(emulator(), ZHAO, "确认")).toContain("等待王伟审批（共2步）");
    await drain();
    const before = await snapshot();
    const [first] = approvalCards(MANAGER).filter((c) => c.publicData.status === "pending");
    await clickCard(first!.outTrackId, MANAGER, { action: "approve" });
    const [second] = approvalCards(DIRECTOR_ID);
    expect(second!.publicData.historyText).toContain("王伟 已同意");
    await clickCard(second!.outTrackId, DIRECTOR_ID, { action: "reject", comment: "渠道调整不影响全年目标" });
    expect(await snapshot()).toEqual(before);
    const rejected = (await requests()).find((r) => r.targetId === leaf);
    expect(rejected!.status).toBe("REJECTED");
    expect(robotTexts(emulator(), ZHAO).at(-1)).toMatch(/被王建国驳回，意见：渠道调整不影响全年目标。目标保持不变/);
  });

  it("「撤回申请」 withdraws a pending request; the approver is told and the card loses its buttons", async () => {
    const leaf = plan.leafIds[2]!;
    const current = await amountOf(leaf);
    clock = shanghai("2026-04-09T09:00:00");
    await say(emulator(), SMALL_PLAN_REPS[2], `目标调整为${current - 10_000n}元，原因：客户预算冻结`);
    await say(emulator(), SMALL_PLAN_REPS[2], "确认");
    await drain();
    expect(await say(emulator(), SMALL_PLAN_REPS[2], "撤回申请")).toContain("已撤回目标调整申请");
    await drain();
    const withdrawn = (await requests()).find((r) => r.targetId === leaf);
    expect(withdrawn!.status).toBe("WITHDRAWN");
    expect(robotTexts(emulator(), MANAGER).at(-1)).toContain("已撤回目标调整申请");
    const card = approvalCards(MANAGER).find((c) => c.outTrackId.includes(withdrawn!.id));
    expect(card!.publicData.status).toBe("withdrawn");
    expect(await say(emulator(), SMALL_PLAN_REPS[2], "撤回申请")).toContain("你没有待审批的目标调整申请");
  });

  it("the API lists the requests with their steps; the ledger shows the applied change with its request", async () => {
    const res = await svc.api(`/api/plans/${plan.planId}/ledger`);
    expect(res.status).toBe(200);
    const { entries } = (await res.json()) as {
      entries: {
        targetId: string;
        kind: string;
        changeRequest: { requesterUserId: string; reason: string; approvals: { approverUserId: string }[] } | null;
      }[];
    };
    const applied = entries.filter((e) => e.changeRequest !== null);
    // 李娜's new amount and the 待分配 created for it; her re-phased months are a PHASING entry of the same version.
    expect(applied.map((e) => e.kind)).toEqual(["AMOUNT", "CREATE"]);
    expect(applied[0]).toMatchObject({
      targetId: plan.leafIds[0],
      changeRequest: { requesterUserId: LINA, reason: "大客户流失", approvals: [{ approverUserId: MANAGER }] },
    });
    const list = await svc.api(`/api/change-requests?planId=${plan.planId}&status=approved`);
    expect(((await list.json()) as { changeRequests: unknown[] }).changeRequests).toHaveLength(1);
  });
});
