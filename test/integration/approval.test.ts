import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import { cardsIn, robotTexts } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Change approval through the admin API and real card clicks (the emulator pushes them over the real
 * dingtalk-stream client): routing by size, 同意 applying the change with its rebalancing, 驳回 changing nothing,
 * and clicks by the wrong person, on the wrong card or twice changing nothing.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let clock = shanghai("2026-04-01T09:00:00");
let svc: TestService;
let plan: SmallPlan;
const [LINA, WANG] = SMALL_PLAN_REPS;
const MANAGER = "m11";
const emulator = () => svc.deps.emulator!;
const approvalCards = (userId: string) => cardsIn(emulator(), userId, "apr.");

interface RequestJson {
  id: string;
  status: string;
  delta: string;
  deltaPct: number | null;
  currentApproverUserId: string | null;
  steps: { level: number; approverUserId: string; status: string; comment: string | null }[];
}

const submit = async (body: Record<string, unknown>, status = 201) => {
  const res = await svc.api("/api/change-requests", jsonInit("POST", body));
  expect(res.status, await res.clone().text()).toBe(status);
  await svc.dingtalk!.outbox.drain();
  return (await res.json()) as RequestJson & { error?: { message: string } };
};
const getRequest = async (id: string) => (await (await svc.api(`/api/change-requests/${id}`)).json()) as RequestJson;
const click = async (outTrackId: string, userId: string, params: Record<string, unknown>) => {
  const res = await emulator().clickCard(outTrackId, userId, params, String(params.action));
  await svc.dingtalk!.outbox.drain();
  return res;
};
/** The tree's amounts (live targets) and the plan total, for "nothing changed". */
const snapshot = async () =>
  svc.db.sql.query<{ id: string; amount: string; version: number }>(
    `SELECT id, amount::text, version FROM target WHERE plan_id = $1 AND state <> 'ARCHIVED'
      UNION ALL SELECT 'total', total::text, 0 FROM plan WHERE id = $1 ORDER BY id`,
    [plan.planId],
  );
const amountOf = async (id: string) =>
  BigInt(
    (await svc.db.sql.query<{ amount: string }>("SELECT amount::text FROM target WHERE id = $1", [id]))[0]!.amount,
  );

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

describe("change approval over the API and cards", () => {
  it("−3 % goes to the manager alone; 同意 applies it: the reserve takes the difference, the rep gets a new card", async () => {
    const leaf = plan.leafIds[0]!;
    const before = await amountOf(leaf);
    const proposed = before - (before * 3n) / 100n;
    const r = await submit({
      targetId: leaf,
      requesterUserId: LINA,
      proposedAmount: proposed.toString(),
      reason: "大客户流失",
    });
    expect(r).toMatchObject({
      status: "PENDING",
      currentApproverUserId: MANAGER,
      steps: [{ level: 1, status: "PENDING" }],
    });
    expect(r.deltaPct).toBe(-3);
    const [card, ...more] = approvalCards(MANAGER);
    expect(more).toHaveLength(0);
    expect(card!.privateData).toMatchObject({ canAct: "true" });
    expect(approvalCards(DIRECTOR_ID)).toHaveLength(0);

    // A forged click by someone else changes nothing and says why.
    const unchanged = await snapshot();
    const forged = await click(card!.outTrackId, WANG, { action: "approve" });
    expect(forged.status).toBe("applied");
    expect(JSON.stringify(forged.status === "applied" && forged.response)).toContain("只有审批人");
    expect(await snapshot()).toEqual(unchanged);
    expect((await getRequest(r.id)).status).toBe("PENDING");

    clock = shanghai("2026-04-01T10:00:00");
    const ok = await click(card!.outTrackId, MANAGER, { action: "approve", comment: "同意" });
    expect(ok.status).toBe("applied");
    expect((await getRequest(r.id)).status).toBe("APPROVED");
    expect(await amountOf(leaf)).toBe(proposed);
    // Conservation in one SQL query: every parent equals the sum of its live children, the root the total.
    const broken = await svc.db.sql.query(
      `SELECT p.id FROM target p JOIN target c ON c.parent_id = p.id AND c.state <> 'ARCHIVED'
        WHERE p.plan_id = $1 GROUP BY p.id, p.amount HAVING p.amount <> sum(c.amount)
       UNION ALL SELECT t.id FROM target t JOIN plan pl ON pl.id = t.plan_id
        WHERE t.plan_id = $1 AND t.parent_id IS NULL AND t.amount <> pl.total`,
      [plan.planId],
    );
    expect(broken).toEqual([]);
    const [reserve] = await svc.db.sql.query<{ amount: string; label: string }>(
      "SELECT amount::text, label FROM target WHERE plan_id = $1 AND reserve",
      [plan.planId],
    );
    expect(reserve).toEqual({ amount: (before - proposed).toString(), label: "待分配" });
    const targetCards = cardsIn(emulator(), LINA, `tgt.${leaf}.v`);
    expect(targetCards.map((c) => c.outTrackId)).toContain(`tgt.${leaf}.v2.${LINA}`);
    expect(robotTexts(emulator(), LINA).some((t) => t.includes("已审批通过并生效"))).toBe(true);

    // The same click again, replayed: already handled, nothing changes.
    const after = await snapshot();
    const again = await click(card!.outTrackId, MANAGER, { action: "approve", comment: "同意" });
    expect(JSON.stringify(again.status === "applied" && again.response)).toMatch(/已处理|无需/);
    expect(await snapshot()).toEqual(after);
  });

  it("−10 % goes manager → director; the director rejects with a comment: nothing changes, the rep is told", async () => {
    const leaf = plan.leafIds[1]!;
    const before = await amountOf(leaf);
    const proposed = before - before / 10n;
    const r = await submit({
      targetId: leaf,
      requesterUserId: WANG,
      proposedAmount: proposed.toString(),
      reason: "渠道调整",
    });
    expect(r.steps.map((s) => s.approverUserId)).toEqual([MANAGER, DIRECTOR_ID]);
    const unchanged = await snapshot();
    const [first] = approvalCards(MANAGER).filter((c) => c.outTrackId.includes(r.id));
    await click(first!.outTrackId, MANAGER, { action: "approve" });
    expect((await getRequest(r.id)).currentApproverUserId).toBe(DIRECTOR_ID);
    const [second] = approvalCards(DIRECTOR_ID);
    expect(second!.privateData).toMatchObject({ canAct: "true" });
    // 驳回 without a comment is refused.
    const bare = await click(second!.outTrackId, DIRECTOR_ID, { action: "reject" });
    expect(JSON.stringify(bare.status === "applied" && bare.response)).toContain("驳回需要填写审批意见");
    expect((await getRequest(r.id)).status).toBe("PENDING");
    await click(second!.outTrackId, DIRECTOR_ID, { action: "reject", comment: "全年目标不能降" });
    const done = await getRequest(r.id);
    expect(done.status).toBe("REJECTED");
    expect(done.steps[1]).toMatchObject({ status: "REJECTED", comment: "全年目标不能降" });
    expect(await snapshot()).toEqual(unchanged);
    expect(robotTexts(emulator(), WANG).filter((t) => t.includes("驳回") && t.includes("全年目标不能降"))).toHaveLength(
      1,
    );
  });
});
