import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import type { CardInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { robotMarkdowns } from "../helpers/chat.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

let svc: TestService;
let planId: string;
const emulator = () => svc.deps.emulator!;
const targetCards = (userId: string) =>
  emulator()
    .getInbox(userId)
    .filter((i): i is CardInboxItem => i.kind === "card" && i.outTrackId.startsWith("tgt."));
const publish = async () => {
  const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
  const body = (await res.json()) as {
    queued: number;
    summaries: number;
    leaves: number;
    error?: { message: string; details: unknown };
  };
  await svc.dingtalk!.outbox.drain();
  return { status: res.status, body };
};
const acks = async () => Number((await svc.db.sql.query<{ n: bigint }>("SELECT count(*) AS n FROM target_ack"))[0]?.n);

beforeAll(async () => {
  // The emulator sets no QPS limit here; the throttle itself is tested in outbox-fleet.test.ts.
  // Business time is Monday 2026-11-23 10:00 in Shanghai whatever day the suite runs (the demo plan is for 2026).
  const monday = new Date("2026-11-23T02:00:00Z");
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => monday });
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
}, 120_000);
afterAll(() => svc?.close());

describe("publish and confirm through the emulator (real outbox, real stream)", () => {
  it("refuses to publish a plan that is not ready, listing the problems", async () => {
    const leaf = await svc.db.prisma.target.findFirstOrThrow({
      where: { planId, ownerUserId: "r12001", dimension: "OWNER" },
    });
    await svc.db.sql.query("DELETE FROM target_co_owner WHERE target_id = $1", [leaf.id]);
    try {
      const { status, body } = await publish();
      expect(status).toBe(409);
      expect(JSON.stringify(body.error)).toMatch(/TOO_FEW_PEOPLE/);
      expect(emulator().listCards()).toEqual([]);
    } finally {
      await svc.db.sql.query("INSERT INTO target_co_owner (target_id, user_id) VALUES ($1, 'm12')", [leaf.id]);
    }
  });

  it("publishing sends every leaf owner exactly one target card, co-owners one summary each; again sends nothing", async () => {
    const { status, body } = await publish();
    expect(status, JSON.stringify(body)).toBe(200);
    expect(body).toEqual({ queued: 134, summaries: 5, leaves: 134 }); // 134 owner cards, one summary per manager
    const owners = await svc.db.sql.query<{ owner_user_id: string; n: bigint }>(
      "SELECT owner_user_id, count(*) AS n FROM target WHERE plan_id = $1 AND dimension = 'OWNER' GROUP BY 1",
      [planId],
    );
    for (const o of owners) {
      const mine = targetCards(o.owner_user_id).filter((c) => c.privateData.canAct === "true");
      expect(mine, o.owner_user_id).toHaveLength(Number(o.n));
    }
    // A manager gets no card per leaf they co-own: one summary listing them all.
    const [coOwned] = await svc.db.sql.query<{ n: bigint }>(
      `SELECT count(*) AS n FROM target_co_owner c JOIN target t ON t.id = c.target_id
        WHERE t.plan_id = $1 AND t.dimension = 'OWNER' AND c.user_id = 'm11'`,
      [planId],
    );
    expect(Number(coOwned!.n)).toBeGreaterThan(0);
    expect(targetCards("m11")).toEqual([]);
    const summaries = robotMarkdowns(emulator(), "m11");
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.text).toContain(`你是以下 ${coOwned!.n} 个销售额目标的协同负责人`);
    expect(await publish()).toMatchObject({ status: 200, body: { queued: 0, summaries: 0 } });
    expect(emulator().listCards()).toHaveLength(134);
    expect(robotMarkdowns(emulator(), "m11")).toHaveLength(1);
  });

  it("李娜 confirms from her card: the card says 已确认, an immutable acknowledgement is stored; a repeat changes nothing", async () => {
    const [card] = targetCards("r11001").filter((c) => c.privateData.canAct === "true");
    const click = await emulator().clickCard(card!.outTrackId, "r11001", { action: "confirm" }, "confirm");
    expect(click.status).toBe("applied");
    // The business clock's moment (Monday 2026-11-23 10:00 in Shanghai), not the machine's: the sandbox moves it.
    expect(emulator().getCard(card!.outTrackId)?.publicData).toMatchObject({
      status: "confirmed",
      statusText: "已确认 · 11月23日 10:00",
    });
    const [ack] = await svc.db.prisma.targetAck.findMany({ where: { userId: "r11001" } });
    expect(ack).toMatchObject({ version: 1, outTrackId: card!.outTrackId });
    const before = await acks();
    const again = await emulator().clickCard(card!.outTrackId, "r11001", { action: "confirm" }, "confirm");
    expect(again.status).toBe("applied");
    expect(await acks()).toBe(before);
  });

  it("a click by anyone but the owner changes nothing and tells the clicker why", async () => {
    const [card] = targetCards("r11002").filter((c) => c.privateData.canAct === "true");
    const before = await acks();
    const forged = await emulator().clickCard(card!.outTrackId, "r11005", { action: "confirm" }, "confirm");
    expect(forged.status).toBe("applied");
    expect(JSON.stringify(forged.status === "applied" ? forged.response : null)).toMatch(/只有负责人.+可以确认/);
    expect(emulator().getCard(card!.outTrackId)?.publicData).toMatchObject({ status: "pending" });
    expect(await acks()).toBe(before);
  });

  it("有异议 with a reason and a counter-proposal: a routed change request, the manager holds its approval card, the card says so", async () => {
    const [card] = targetCards("r11003").filter((c) => c.privateData.canAct === "true");
    const bad = await emulator().clickCard(
      card!.outTrackId,
      "r11003",
      { action: "dispute", reason: "大客户延期", amount: "很多" },
      "dispute",
    );
    expect(JSON.stringify(bad.status === "applied" ? bad.response : null)).toMatch(/建议目标里没有数字/);
    expect(await svc.db.prisma.changeRequest.count()).toBe(0);

    const ok = await emulator().clickCard(
      card!.outTrackId,
      "r11003",
      { action: "dispute", reason: "大客户项目延期到明年", amount: "80万" },
      "dispute",
    );
    expect(ok.status).toBe("applied");
    expect(emulator().getCard(card!.outTrackId)?.publicData).toMatchObject({ status: "disputed" });
    const [request] = await svc.db.prisma.changeRequest.findMany();
    expect(request).toMatchObject({
      kind: "DISPUTE",
      status: "PENDING",
      requesterUserId: "r11003",
      proposedAmount: 800_000n,
      reason: "大客户项目延期到明年",
    });
    // The dispute is a routed change request: the manager holds its approval card, the rep's card says who.
    await svc.dingtalk!.outbox.drain();
    const approval = emulator()
      .getInbox("m11")
      .filter((i): i is CardInboxItem => i.kind === "card" && i.outTrackId.startsWith(`apr.${request!.id}.`));
    expect(approval).toHaveLength(1);
    expect(approval[0]!.publicData.diffText).toMatch(/→ 80万/);
    expect(emulator().getCard(card!.outTrackId)?.publicData.statusText).toBe("已提出异议，等待王伟审批");

    const confirmAfter = await emulator().clickCard(card!.outTrackId, "r11003", { action: "confirm" }, "confirm");
    expect(JSON.stringify(confirmAfter.status === "applied" ? confirmAfter.response : null)).toMatch(
      /已对这一版目标提出异议/,
    );
  });

  it("a card of an old version is refused once the target has a new version", async () => {
    const [card] = targetCards("r11004").filter((c) => c.privateData.canAct === "true");
    const target = await svc.db.prisma.target.findFirstOrThrow({
      where: { planId, ownerUserId: "r11004", dimension: "OWNER" },
    });
    await svc.db.sql.query("UPDATE target SET version = version + 1 WHERE id = $1", [target.id]);
    const click = await emulator().clickCard(card!.outTrackId, "r11004", { action: "confirm" }, "confirm");
    expect(JSON.stringify(click.status === "applied" ? click.response : null)).toMatch(/目标已更新到第 2 版/);
    expect(await svc.db.prisma.targetAck.count({ where: { targetId: target.id } })).toBe(0);
  });
});

describe("progress in chat", () => {
  it("a rep reports in chat; the bot echoes what it understood; the progress endpoint shows it", async () => {
    const messageId = emulator().sendText("r11001", "本周完成3.5万，新客户2家");
    expect(messageId).toBeTruthy();
    await expect
      .poll(() =>
        emulator()
          .getInbox("r11001")
          .some((i) => i.kind === "sessionReply"),
      )
      .toBe(true);
    const reply = emulator()
      .getInbox("r11001")
      .find((i) => i.kind === "sessionReply");
    expect(JSON.stringify(reply)).toMatch(/已记录：2026-W48 销售额 3\.5万元，新客户 2家/);
    const [entry] = await svc.db.prisma.progressEntry.findMany({ where: { userId: "r11001" } });
    expect(entry).toMatchObject({ amount: 35_000n, newCustomers: 2, source: "SELF_REPORT" });
  });

  it("nonsense gets a help reply and stores nothing", async () => {
    const before = await svc.db.prisma.progressEntry.count();
    emulator().sendText("r11002", "在吗");
    await expect
      .poll(() =>
        emulator()
          .getInbox("r11002")
          .some((i) => i.kind === "sessionReply"),
      )
      .toBe(true);
    expect(
      JSON.stringify(
        emulator()
          .getInbox("r11002")
          .find((i) => i.kind === "sessionReply"),
      ),
    ).toMatch(/没看懂/);
    expect(await svc.db.prisma.progressEntry.count()).toBe(before);
  });
});
