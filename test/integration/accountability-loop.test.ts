import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import type { CardInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { say as sayTo } from "../helpers/chat.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The accountability loop end to end, through the service as `npm start` runs it in sandbox mode: the
 * emulator, the real dingtalk-stream client, the outbox worker, the admin API. Only the clock is injected:
 * the week is 2026-W48 and the weekly prompt is run for Friday 2026-11-27 16:00 (Shanghai).
 */

let clock = new Date("2026-11-23T02:00:00Z"); // Monday 10:00 in Shanghai
let svc: TestService;
let planId: string;
const W48 = "2026-W48";
const emulator = () => svc.deps.emulator!;
const cards = (userId: string, prefix: string) =>
  emulator()
    .getInbox(userId)
    .filter((i): i is CardInboxItem => i.kind === "card" && i.outTrackId.startsWith(prefix));
const ownCards = (userId: string, prefix: string) =>
  cards(userId, prefix).filter((c) => c.privateData.canAct === "true");
const say = (userId: string, text: string) => sayTo(emulator(), userId, text);

async function click(outTrackId: string, userId: string, params: Record<string, string>, actionId: string) {
  const res = await emulator().clickCard(outTrackId, userId, params, actionId);
  expect(res.status).toBe("applied");
  return JSON.stringify(res.status === "applied" ? res.response : null);
}

async function progress(userId: string) {
  const res = await svc.api(`/api/plans/${planId}/progress?period=${W48}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { owners: { userId: string; actual: string | null; reported: boolean }[] };
  return body.owners.find((o) => o.userId === userId);
}

const entries = (userId: string) =>
  svc.db.prisma.progressEntry.findMany({ where: { planId, userId, period: W48 }, orderBy: { id: "asc" } });

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
}, 120_000);
afterAll(() => svc?.close());

describe("publish → confirm / dispute → weekly prompt → report by card and chat → progress", () => {
  it("publishing the demo plan gives every leaf owner exactly one card per target they own", async () => {
    const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
    expect(res.status).toBe(200);
    await svc.dingtalk!.outbox.drain();
    const owners = await svc.db.sql.query<{ owner_user_id: string; n: bigint }>(
      "SELECT owner_user_id, count(*) AS n FROM target WHERE plan_id = $1 AND dimension = 'OWNER' GROUP BY 1",
      [planId],
    );
    expect(owners.length).toBeGreaterThan(50);
    for (const o of owners) expect(ownCards(o.owner_user_id, "tgt."), o.owner_user_id).toHaveLength(Number(o.n));
  });

  it("确认 and 有异议 from the cards; a wrong clicker and a repeat change nothing", async () => {
    const [mine] = ownCards("r11001", "tgt.");
    expect(await click(mine!.outTrackId, "r11001", { action: "confirm" }, "confirm")).toMatch(/confirmed/);
    expect(await click(mine!.outTrackId, "r11001", { action: "confirm" }, "confirm")).toMatch(/已处理|已确认/);
    expect(await svc.db.prisma.targetAck.count({ where: { userId: "r11001" } })).toBe(1);

    const [theirs] = ownCards("r11002", "tgt.");
    expect(await click(theirs!.outTrackId, "r11001", { action: "confirm" }, "confirm")).toMatch(/只有负责人/);
    expect(await svc.db.prisma.targetAck.count({ where: { userId: "r11002" } })).toBe(0);
    await click(theirs!.outTrackId, "r11002", { action: "dispute", reason: "客户预算缩减", amount: "80万" }, "dispute");
    expect(await svc.db.prisma.changeRequest.findMany({ where: { requesterUserId: "r11002" } })).toMatchObject([
      { kind: "DISPUTE", status: "PENDING", proposedAmount: 800_000n },
    ]);
  });

  it("the weekly prompt on Friday 16:00 gives each leaf owner one progress card; running it again sends nothing", async () => {
    clock = new Date("2026-11-27T08:00:00Z");
    const run = async () => {
      const res = await svc.api("/api/jobs/weekly-prompt/run", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ at: clock.toISOString() }),
      });
      expect(res.status).toBe(200);
      await svc.dingtalk!.outbox.drain();
      return (await res.json()) as { period: string; ran: boolean };
    };
    expect(await run()).toMatchObject({ period: W48, ran: true });
    const owners = await svc.db.sql.query<{ owner_user_id: string }>(
      "SELECT DISTINCT owner_user_id FROM target WHERE plan_id = $1 AND dimension = 'OWNER'",
      [planId],
    );
    for (const o of owners) expect(ownCards(o.owner_user_id, "prg."), o.owner_user_id).toHaveLength(1);
    expect(await run()).toMatchObject({ period: W48, ran: false });
    for (const o of owners) expect(ownCards(o.owner_user_id, "prg."), o.owner_user_id).toHaveLength(1);
  });

  it("a rep reports on the card; a repeat and a wrong clicker change nothing; a chat correction updates the card", async () => {
    const [card] = ownCards("r11001", "prg.");
    const params = { action: "report", amount: "3万", newCustomers: "1" };
    expect(await click(card!.outTrackId, "r11001", params, "submit")).toMatch(/已提交：3万元/);
    expect(await click(card!.outTrackId, "r11001", params, "submit")).toMatch(/已处理/);
    expect(await click(card!.outTrackId, "r11002", { action: "report", amount: "9万" }, "submit")).toMatch(
      /只有本人可以填报/,
    );
    expect(await entries("r11001")).toMatchObject([{ amount: 30_000n, newCustomers: 1, source: "SELF_REPORT" }]);

    expect(await say("r11001", "改成2.8万")).toMatch(/已更正.*2\.8万元/);
    expect(await entries("r11001")).toMatchObject([{ amount: 30_000n }, { amount: 28_000n }]);
    await svc.dingtalk!.outbox.drain();
    expect(emulator().getCard(card!.outTrackId)?.publicData.statusText).toMatch(/已提交：2\.8万元/);
    expect(await progress("r11001")).toMatchObject({ actual: "28000", reported: true });
  });

  it("another rep reports in chat; nonsense stores nothing; the progress endpoint shows who reported", async () => {
    expect(await say("r11003", "本周完成2万，新客户1家")).toMatch(/已记录：2026-W48 销售额 2万元，新客户 1家/);
    expect(await say("r11004", "不知道")).toMatch(/没看懂|例如/);
    expect(await entries("r11004")).toEqual([]);
    await svc.dingtalk!.outbox.drain();
    const [card] = ownCards("r11003", "prg.");
    expect(emulator().getCard(card!.outTrackId)?.publicData).toMatchObject({ status: "reported" });
    expect(await progress("r11003")).toMatchObject({ actual: "20000", reported: true });
    expect(await progress("r11004")).toMatchObject({ reported: false });
  });
});
