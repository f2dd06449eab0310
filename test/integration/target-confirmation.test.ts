import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CardInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { createSmallPlan, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * GET /api/plans/:id/targets reports where each leaf owner stands on the current version, after real clicks:
 * the emulator pushes them over the real stream to the service as started, with its registered flows.
 */
let svc: TestService;
let plan: SmallPlan;
const emulator = () => svc.deps.emulator!;

type Confirmation = { state: string; by?: { userId: string; name: string }; at?: string } | null;
type Node = { id: string; confirmation: Confirmation; children: Node[] };

async function confirmations(): Promise<Record<string, Confirmation>> {
  const res = await svc.api(`/api/plans/${plan.planId}/targets`);
  expect(res.status).toBe(200);
  const { root } = (await res.json()) as { root: Node };
  const all: Record<string, Confirmation> = {};
  const walk = (n: Node) => {
    all[n.id] = n.confirmation;
    n.children.forEach(walk);
  };
  walk(root);
  return all;
}
const ownerCard = (userId: string) =>
  emulator()
    .getInbox(userId)
    .find(
      (i): i is CardInboxItem =>
        i.kind === "card" && i.outTrackId.startsWith("tgt.") && i.privateData.canAct === "true",
    );

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false } });
  plan = await createSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

describe("confirmation state in the target tree", () => {
  it("before publishing every leaf is UNSENT; the root, which gets no card, has none", async () => {
    const [lina, second, third] = plan.leafIds;
    expect(await confirmations()).toEqual({
      [plan.rootTargetId]: null,
      [lina!]: { state: "UNSENT" },
      [second!]: { state: "UNSENT" },
      [third!]: { state: "UNSENT" },
    });
  });

  it("after publishing and real clicks: CONFIRMED and DISPUTED with who and when, PENDING for the rest", async () => {
    const res = await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" });
    expect(res.status, await res.clone().text()).toBe(200);
    await svc.dingtalk!.outbox.drain();
    const [lina, second, third] = plan.leafIds;
    expect(Object.values(await confirmations())).toEqual([null, ...Array(3).fill({ state: "PENDING" })]);

    const confirm = await emulator().clickCard(
      ownerCard("r11001")!.outTrackId,
      "r11001",
      { action: "confirm" },
      "confirm",
    );
    expect(confirm.status).toBe("applied");
    const dispute = await emulator().clickCard(
      ownerCard("r11002")!.outTrackId,
      "r11002",
      { action: "dispute", reason: "大客户项目延期到明年", amount: "380万" },
      "dispute",
    );
    expect(dispute.status).toBe("applied");

    const ack = await svc.db.prisma.targetAck.findFirstOrThrow({ where: { targetId: lina! } });
    const request = await svc.db.prisma.changeRequest.findFirstOrThrow({ where: { targetId: second! } });
    const names = Object.fromEntries(
      (await svc.db.prisma.staff.findMany({ where: { userId: { in: ["r11001", "r11002"] } } })).map((s) => [
        s.userId,
        s.name,
      ]),
    );
    expect(names.r11001).toBe("李娜");
    expect(await confirmations()).toEqual({
      [plan.rootTargetId]: null,
      [lina!]: { state: "CONFIRMED", by: { userId: "r11001", name: "李娜" }, at: ack.at.toISOString() },
      [second!]: {
        state: "DISPUTED",
        by: { userId: "r11002", name: names.r11002 },
        at: request.createdAt.toISOString(),
      },
      [third!]: { state: "PENDING" },
    });
  });

  it("a new version is UNSENT until the plan is published again, then PENDING; the others keep their answers", async () => {
    const [lina, second, third] = plan.leafIds;
    const before = await confirmations();
    // A published plan's targets change only through the approval flow, which is not built yet (the Excel
    // import refuses published plans); its effect, a new version of the target, is written directly here.
    await svc.db.sql.query("UPDATE target SET version = version + 1 WHERE id = $1", [third]);
    const after = await confirmations();
    expect(after[third!]).toEqual({ state: "UNSENT" });
    expect([after[lina!], after[second!]]).toEqual([before[lina!], before[second!]]);

    expect((await svc.api(`/api/plans/${plan.planId}/publish`, { method: "POST" })).status).toBe(200);
    await svc.dingtalk!.outbox.drain();
    const cards = emulator()
      .getInbox("r11003")
      .filter((i) => i.kind === "card" && i.outTrackId.startsWith(`tgt.${third}.`));
    expect(cards.map((c) => (c as CardInboxItem).outTrackId)).toEqual([
      `tgt.${third}.v1.r11003`,
      `tgt.${third}.v2.r11003`,
    ]);
    expect(await confirmations()).toEqual({ ...after, [third!]: { state: "PENDING" } });
  });
});
