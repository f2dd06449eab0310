import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import { cardsIn, say } from "../helpers/chat.ts";
import { createSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Change requests in the 1:1 chat, through the real stream client: a person with targets in two plans chooses
 * one from a numbered list; 「确认」 goes to whichever question the bot asked last (a change or a progress
 * figure far above the target) and the other still waits; a confirmation after 30 minutes submits nothing; bad
 * requests are answered with why and store nothing. The second plan sets approvalThresholds [1, 2], so its
 * −3 % needs the director too.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let clock = shanghai("2026-04-07T09:00:00");
let svc: TestService;
let first: SmallPlan;
let second: SmallPlan;
const [LINA, ZHAO, HU] = SMALL_PLAN_REPS;
const emulator = () => svc.deps.emulator!;
const drain = () => svc.dingtalk!.outbox.drain();
const amountOf = async (id: string) =>
  BigInt(
    (await svc.db.sql.query<{ amount: string }>("SELECT amount::text FROM target WHERE id = $1", [id]))[0]!.amount,
  );
/** Requests, drafts and amounts: what a refused chat message must leave as it was. */
const snapshot = async () => ({
  requests: await svc.db.sql.query("SELECT id, status FROM change_request ORDER BY id"),
  drafts: await svc.db.sql.query(
    "SELECT user_id, stage, target_ids, proposed_amount::text FROM change_draft ORDER BY user_id",
  ),
  targets: await svc.db.sql.query("SELECT id, amount::text, version FROM target ORDER BY id"),
});
/**
 * Asks for a change in chat; everyone here has a target in both plans, so the bot lists them and the number of
 * `planName`'s is sent. Returns the bot's answer to the choice (the preview, or why not).
 */
const askChange = async (userId: string, text: string, planName: string) => {
  const list = await say(emulator(), userId, text);
  const line = list.split("\n").find((l) => l.includes(`${planName} · `));
  expect(line, list).toBeDefined();
  return say(emulator(), userId, line!.slice(0, 1));
};
const pendingOf = (targetId: string) =>
  svc.db.prisma.changeRequest.findMany({ where: { targetId, status: "PENDING" }, include: { steps: true } });

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  first = await createSmallPlan(svc);
  second = await createSmallPlan(svc, { extra: { name: "华东小计划（二）", approvalThresholds: [1, 2] } });
  for (const p of [first, second]) {
    const res = await svc.api(`/api/plans/${p.planId}/publish`, { method: "POST" });
    expect(res.status).toBe(200);
  }
  await drain();
}, 120_000);
afterAll(() => svc?.close());

describe("change requests in chat", () => {
  it("two targets: a numbered list, the number picks one, 「确认」 submits it; the plan's thresholds route it", async () => {
    const leaf = second.leafIds[0]!;
    const current = await amountOf(leaf);
    const proposed = current - (current * 3n) / 100n;
    const list = await say(emulator(), LINA, `目标改成${proposed}元，原因：华南大客户流失`);
    expect(list).toMatch(/要把哪个目标调整为.+请回复序号：\n1\. .+\n2\. /);
    const line = list.split("\n").find((l) => l.includes("华东小计划（二）"))!;
    // A number outside the list is answered as such, not read as a progress figure.
    expect(await say(emulator(), LINA, "3")).toBe("请回复 1 到 2 之间的序号。");
    const preview = await say(emulator(), LINA, line.slice(0, 1));
    expect(preview).toContain("目标：华东小计划（二） · 李娜");
    // approvalThresholds [1, 2]: −3 % is above both, so manager, director (the plan owner is the manager).
    expect(preview).toMatch(/审批：王伟（直属上级） → 王建国（总监）/);
    expect(await say(emulator(), LINA, "确认")).toContain("已确认并提交目标调整申请");
    const [request] = await pendingOf(leaf);
    expect(request).toMatchObject({ source: "CHAT", requesterUserId: LINA, proposedAmount: proposed, tier: 3 });
    expect(request!.steps.map((s) => s.approverUserId)).toEqual(["m11", DIRECTOR_ID]);
  });

  it("「确认」 answers the latest question: a change asked after a progress figure wins, the figure still waits", async () => {
    const leaf = first.leafIds[1]!;
    const current = await amountOf(leaf);
    clock = shanghai("2026-04-08T10:00:00");
    expect(await say(emulator(), ZHAO, "本周完成500万")).toContain("确认");
    clock = shanghai("2026-04-08T10:05:00");
    const preview = await askChange(ZHAO, `目标改成${current - 1000n}元，原因：区域调整`, "华东小计划");
    expect(preview).toContain("确认提交吗");
    clock = shanghai("2026-04-08T10:06:00");
    const reply = await say(emulator(), ZHAO, "确认");
    expect(reply).toContain("已确认并提交目标调整申请");
    expect(reply).toContain("你还有一个待确认的进度数字没有记录");
    expect(await pendingOf(leaf)).toHaveLength(1);
    expect(await say(emulator(), ZHAO, "确认")).toContain("已确认并记录");
  });

  it("a progress figure asked after a change wins 「确认」; the change then waits for the next 「确认」", async () => {
    const leaf = first.leafIds[2]!;
    const current = await amountOf(leaf);
    clock = shanghai("2026-04-09T10:00:00");
    expect(await askChange(HU, `目标改成${current - 2000n}元，原因：客户预算冻结`, "华东小计划")).toContain(
      "确认提交吗",
    );
    clock = shanghai("2026-04-09T10:01:00");
    expect(await say(emulator(), HU, "本周完成600万")).toContain("确认");
    clock = shanghai("2026-04-09T10:02:00");
    expect(await say(emulator(), HU, "确认")).toContain("已确认并记录");
    expect(await pendingOf(leaf)).toHaveLength(0);
    expect(await say(emulator(), HU, "确认")).toContain("已确认并提交目标调整申请");
    expect(await pendingOf(leaf)).toHaveLength(1);
  });

  it("「确认」 after 30 minutes submits nothing and says so", async () => {
    const leaf = second.leafIds[1]!;
    clock = shanghai("2026-04-10T09:00:00");
    const list = await say(emulator(), ZHAO, `目标调整为${(await amountOf(leaf)) - 500n}元，原因：人员调整`);
    const line = list.split("\n").find((l) => l.includes("华东小计划（二）"))!;
    await say(emulator(), ZHAO, line.slice(0, 1));
    clock = shanghai("2026-04-10T09:31:00");
    expect(await say(emulator(), ZHAO, "确认")).toContain("已超过30分钟，没有提交");
    expect(await pendingOf(leaf)).toHaveLength(0);
  });

  it("bad requests are answered with why and change nothing", async () => {
    const leaf = second.leafIds[2]!;
    const current = await amountOf(leaf);
    clock = shanghai("2026-04-13T09:00:00");
    const before = await snapshot();
    expect(await say(emulator(), HU, "目标改成0元，原因：不想干了")).toMatch(/不能为 ?0/);
    expect(await say(emulator(), HU, "目标改成150万")).toMatch(/原因/);
    expect(await say(emulator(), HU, "目标改成很多，原因：客户流失")).toMatch(/金额|数字/);
    expect(await say(emulator(), HU, `目标改成${"1".repeat(3)}万，原因：${"很".repeat(501)}`)).toContain("500");
    expect(await snapshot()).toEqual(before);
    // The same amount as now, after choosing the target: refused, nothing submitted.
    const list = await say(emulator(), HU, `目标改成${current}元，原因：核对一下`);
    const line = list.split("\n").find((l) => l.includes("华东小计划（二）"))!;
    expect(await say(emulator(), HU, line.slice(0, 1))).toContain("与当前目标相同");
    expect(await pendingOf(leaf)).toHaveLength(0);
    // Someone with no target of their own is told how to go about it instead.
    expect(await say(emulator(), DIRECTOR_ID, "目标改成150万，原因：市场变化")).toContain("你名下没有已发布的目标");
    // A second request for a target that has one pending is refused.
    const pendingLeaf = second.leafIds[0]!;
    const list2 = await say(emulator(), LINA, `目标改成${(await amountOf(pendingLeaf)) - 100n}元，原因：再调一次`);
    const line2 = list2.split("\n").find((l) => l.includes("华东小计划（二）"))!;
    expect(await say(emulator(), LINA, line2.slice(0, 1))).toContain("已有一项待审批的调整申请");
    expect(await pendingOf(pendingLeaf)).toHaveLength(1);
    expect(cardsIn(emulator(), "m11", "apr.").length).toBeGreaterThan(0);
  });

  it("a manager asks for a report's target by name; a name that is not theirs, or nobody's, is refused", async () => {
    const leaf = first.leafIds[0]!;
    const current = await amountOf(leaf);
    clock = shanghai("2026-04-14T09:00:00");
    const preview = await askChange("m11", `把李娜的目标改成${current - 5000n}元，原因：客户转给赵涛`, "华东小计划");
    expect(preview).toContain("目标：华东小计划 · 李娜");
    expect(preview).toMatch(/审批：王建国（总监）（已跳过 王伟：申请人本人）/);
    expect(await say(emulator(), "m11", "确认")).toContain("已确认并提交目标调整申请");
    const [request] = await pendingOf(leaf);
    expect(request).toMatchObject({ requesterUserId: "m11", source: "CHAT" });
    const before = await snapshot();
    expect(await say(emulator(), LINA, "把王建国的目标改成100万，原因：试试")).toContain("王建国不是你的下属");
    expect(await say(emulator(), "m11", "把张无忌的目标改成100万，原因：试试")).toContain(
      "没有找到名叫“张无忌”的在职同事",
    );
    expect(await snapshot()).toEqual(before);
  });
});
