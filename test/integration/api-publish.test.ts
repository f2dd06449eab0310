import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CardView } from "../../src/dingtalk/emulator/emulator-types.ts";
import { robotMarkdowns } from "../helpers/chat.ts";
import { type ApiError, type ApiPlan, planApi, serviceWithOrg } from "../helpers/plan-api.ts";
import type { TestService } from "../helpers/test-service.ts";

let svc: TestService;
const api = planApi(() => svc);
const emulator = () => svc.deps.emulator!;
let plan: ApiPlan;
let leaf: Record<"r11001" | "r11002", string>;

beforeAll(async () => {
  svc = await serviceWithOrg({ DINGTALK_QPS: "500" }, { sandbox: { demo: false } });
  ({ plan, leaf } = await api.twoRepPlan(1_200_000));
  await api.phase(plan.id, "WORKDAYS");
}, 60_000);
afterAll(() => svc?.close());

const publish = async (planId: string) => {
  const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
  await svc.dingtalk!.outbox.drain();
  return {
    status: res.status,
    body: (await res.json()) as { queued: number; summaries: number; leaves: number } & Partial<ApiError>,
  };
};
/** [recipient, target, version, may act] of each card, sorted. */
const described = (cards: CardView[]) =>
  cards
    .map((c) => {
      const [, targetId, version, userId] = /^tgt\.([0-9a-f-]{36})\.v(\d+)\.(.+)$/.exec(c.outTrackId)!;
      return [userId, targetId, Number(version), c.privateData[userId!]?.canAct ?? c.privateData.canAct];
    })
    .sort((a, b) => String(a).localeCompare(String(b)));

describe("POST /api/plans/:id/publish", () => {
  it("an unknown plan is a 404 and sends nothing", async () => {
    const { status, body } = await publish("no-such-plan");
    expect(status).toBe(404);
    expect(body.error).toEqual({ code: "NOT_FOUND", message: "计划 no-such-plan 不存在" });
    expect(emulator().listCards()).toEqual([]);
    expect(await svc.db.prisma.outboxMessage.count()).toBe(0);
  });

  it("after a new version of one target: its owner's card and its co-owner's summary of that target only", async () => {
    expect(await publish(plan.id)).toMatchObject({ status: 200, body: { queued: 2, summaries: 1, leaves: 2 } });
    const first = emulator().listCards();
    expect(first).toHaveLength(2);
    // m11 co-owns both leaves: one summary listing both, not a card per target.
    expect(robotMarkdowns(emulator(), "m11")).toHaveLength(1);
    expect(robotMarkdowns(emulator(), "m11")[0]!.text).toMatch(/你是以下 2 个销售额目标的协同负责人：\n\n- .+\n- .+\n/);
    expect(await publish(plan.id)).toMatchObject({ status: 200, body: { queued: 0, summaries: 0 } });
    expect(robotMarkdowns(emulator(), "m11")).toHaveLength(1);

    // A published target changes only through change approval, which is not built yet: play its effect — the
    // target's next version — in the database, as an approved change request would.
    await svc.db.sql.query("UPDATE target SET version = version + 1 WHERE id = $1", [leaf.r11001]);
    expect(await publish(plan.id)).toMatchObject({ status: 200, body: { queued: 1, summaries: 1, leaves: 2 } });
    const seen = new Set(first.map((c) => c.outTrackId));
    const fresh = emulator()
      .listCards()
      .filter((c) => !seen.has(c.outTrackId));
    // One card the owner can act on (确认 / 有异议); r11002 gets nothing; the co-owner hears of this version alone.
    expect(described(fresh)).toEqual([["r11001", leaf.r11001, 2, "true"]]);
    const news = robotMarkdowns(emulator(), "m11");
    expect(news).toHaveLength(2);
    expect(news[1]!.text).toMatch(/你是以下 1 个销售额目标的协同负责人：\n\n- [^\n]*李娜 [^\n]*（第2版）\n\n/);
    expect(robotMarkdowns(emulator(), "r11002")).toEqual([]);
  });
});
