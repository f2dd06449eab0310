import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CardView } from "../../src/dingtalk/emulator/emulator-types.ts";
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
  return { status: res.status, body: (await res.json()) as { queued: number; leaves: number } & Partial<ApiError> };
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

  it("after a new version of one target: cards for that target's people only", async () => {
    expect(await publish(plan.id)).toMatchObject({ status: 200, body: { queued: 4, leaves: 2 } });
    const first = emulator().listCards();
    expect(first).toHaveLength(4);
    expect(await publish(plan.id)).toMatchObject({ status: 200, body: { queued: 0 } });

    // A published target changes only through change approval, which is not built yet: play its effect — the
    // target's next version — in the database, as an approved change request would.
    await svc.db.sql.query("UPDATE target SET version = version + 1 WHERE id = $1", [leaf.r11001]);
    expect(await publish(plan.id)).toMatchObject({ status: 200, body: { queued: 2, leaves: 2 } });
    const seen = new Set(first.map((c) => c.outTrackId));
    const fresh = emulator()
      .listCards()
      .filter((c) => !seen.has(c.outTrackId));
    // One card the owner can act on (确认 / 有异议) and the co-owner's informational copy; r11002 gets nothing.
    expect(described(fresh)).toEqual([
      ["m11", leaf.r11001, 2, "false"],
      ["r11001", leaf.r11001, 2, "true"],
    ]);
  });
});
