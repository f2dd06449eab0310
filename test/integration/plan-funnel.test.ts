import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CardInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { planSnapshot } from "../helpers/plan-snapshot.ts";
import { createSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/** Funnel settings on a plan, and the weekly activity they imply on the target cards the emulator receives. */
let svc: TestService;
const emulator = () => svc.deps.emulator!;

/** 100,000 per deal; half the leads get a visit, half the visits a proposal, a quarter of proposals win. */
const funnel = { avgDealSize: 100_000, leadToVisit: 0.5, visitToProposal: 0.5, proposalToWin: 0.25 };

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false } });
}, 120_000);
afterAll(() => svc?.close());

/** Publishes the plan and returns the funnel line of every target card its leaves' owners received. */
async function publishedFunnelLines(plan: SmallPlan): Promise<string[]> {
  const res = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return SMALL_PLAN_REPS.map((userId, i) => {
    const card = emulator()
      .getInbox(userId)
      .find((c): c is CardInboxItem => c.kind === "card" && c.outTrackId.startsWith(`tgt.${plan.leafIds[i]}.`));
    expect(card, userId).toBeDefined();
    return String(emulator().getCard(card!.outTrackId)?.publicData.funnelText);
  });
}

describe("funnel settings", () => {
  it("are kept with the plan, and each owner's card shows the weekly leads, visits and proposals they imply", async () => {
    const plan = await createSmallPlan(svc, { extra: { funnel } });
    const stored = (await (await svc.api(`/api/plans/${plan.planId}`)).json()) as { funnel: unknown };
    expect(stored.funnel).toEqual({ ...funnel, avgDealSize: "100000" });

    // Each rep has a third of 15,600,000 = 5,200,000 a year: 52 deals, so 52 / 0.25 = 208 proposals,
    // 208 / 0.5 = 416 visits and 416 / 0.5 = 832 leads — over 52 weeks, 16 leads, 8 visits and 4 proposals.
    const deals = 5_200_000 / funnel.avgDealSize;
    const proposals = deals / funnel.proposalToWin;
    const visits = proposals / funnel.visitToProposal;
    const leads = visits / funnel.leadToVisit;
    const line = `每周约 ${leads / 52} 条线索、${visits / 52} 次拜访、${proposals / 52} 份方案`;
    expect(line).toBe("每周约 16 条线索、8 次拜访、4 份方案");
    expect(await publishedFunnelLines(plan)).toEqual([line, line, line]);
  });

  it("a plan without them sends cards with no funnel line", async () => {
    const plan = await createSmallPlan(svc);
    const stored = (await (await svc.api(`/api/plans/${plan.planId}`)).json()) as { funnel: unknown };
    expect(stored.funnel).toBeNull();
    expect(await publishedFunnelLines(plan)).toEqual(["", "", ""]);
  });

  it("bad settings are refused with a clear message and create no plan", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["deal size 0", { funnel: { ...funnel, avgDealSize: 0 } }, /平均客单价必须大于 0/],
      ["deal size not a number", { funnel: { ...funnel, avgDealSize: "15万" } }, /不是整数金额/],
      ["a rate of 0", { funnel: { ...funnel, leadToVisit: 0 } }, /线索→拜访转化率必须大于 0/],
      ["a rate above 1", { funnel: { ...funnel, proposalToWin: 1.5 } }, /方案→成交转化率不能超过 1/],
      ["a rate missing", { funnel: { ...funnel, visitToProposal: undefined } }, /拜访→方案转化率/],
      ["an unknown setting", { funnel: { ...funnel, winToRenewal: 0.5 } }, /winToRenewal/],
      ["a plan that is not about revenue", { metric: "NEW_CUSTOMERS", funnel }, /只适用于销售额/],
    ];
    const before = await planSnapshot(svc.db);
    for (const [name, extra, message] of cases) {
      const res = await svc.api("/api/plans", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "坏漏斗", fiscalYear: 2026, total: 1_000_000, ownerUserId: "m11", ...extra }),
      });
      const body = JSON.stringify(await res.json());
      expect(res.status, name).toBe(400);
      expect(body, name).toMatch(message);
    }
    expect(await planSnapshot(svc.db)).toEqual(before);
  });
});
