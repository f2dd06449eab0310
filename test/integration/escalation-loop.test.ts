import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIRECTOR_ID } from "../../src/demo/reference-org.ts";
import type { CardInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { formatAttainment } from "../../src/domain/attainment.ts";
import { expectedForPeriod } from "../../src/domain/phasing.ts";
import { robotTexts, say } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Issue #12's acceptance, end to end in sandbox mode: the emulator, the real dingtalk-stream client (chat
 * messages and card clicks come in over its WebSocket), the outbox worker, the admin API. Only the clock is
 * injected. 李娜 (r11001) reports 60% of W15 in chat and nothing for W16: after the two evaluations exactly
 * one escalation card reaches her manager (m11) and one private message reaches her; 已知悉 by the manager is
 * recorded; a third miss (W17) goes to the director; a met W18 closes it and tells all three. Re-running
 * every evaluation sends nothing new. Her two colleagues meet every week, so nothing else is escalated.
 */

const shanghai = (local: string) => new Date(`${local}+08:00`);
let clock = shanghai("2026-04-01T09:00:00");
let svc: TestService;
let plan: SmallPlan;
const [LINA, ...OTHERS] = SMALL_PLAN_REPS;
const MANAGER = "m11";
const emulator = () => svc.deps.emulator!;
const escalationCards = (userId: string) =>
  emulator()
    .getInbox(userId)
    .filter((i): i is CardInboxItem => i.kind === "card" && i.outTrackId.startsWith("esc."));
const texts = (userId: string, needle: string) => robotTexts(emulator(), userId).filter((t) => t.includes(needle));
const weekTarget = async (leafId: string, week: string) => {
  const rows = await svc.db.sql.query<{ amount: string }>(
    "SELECT amount::text FROM target_month WHERE target_id = $1 ORDER BY month",
    [leafId],
  );
  return expectedForPeriod(
    rows.map((r) => BigInt(r.amount)),
    2026,
    week,
    svc.deps.calendar,
  );
};
const evaluate = async (at: string) => {
  clock = shanghai(at);
  const res = await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: `${at}+08:00` }));
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return (await res.json()) as { ran: boolean };
};
/** The others meet their week exactly (the company's import), so only 李娜 is escalated. */
const othersMeet = async (week: string) => {
  const entries = await Promise.all(
    OTHERS.map(async (userId, i) => ({
      planId: plan.planId,
      userId,
      period: week,
      amount: (await weekTarget(plan.leafIds[i + 1]!, week)).toString(),
    })),
  );
  const res = await svc.api("/api/progress", jsonInit("POST", { entries }));
  expect(res.status, await res.clone().text()).toBe(200);
};
const openEscalations = async () => {
  const res = await svc.api(`/api/escalations?planId=${plan.planId}`);
  expect(res.status).toBe(200);
  return (
    (await res.json()) as {
      escalations: {
        owner: { userId: string };
        status: string;
        streak: number;
        currentLevel: number;
        addressee: { userId: string } | null;
        actions: { by: { userId: string }; action: string; level: number }[];
      }[];
    }
  ).escalations;
};
const outboxCount = async () =>
  Number((await svc.db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox_message"))[0]!.n);

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(() => svc?.close());

describe("evaluation and escalation, end to end in sandbox mode", () => {
  it("W15 at 60% reported in chat, W16 unreported: one card to the manager, one private message to the rep", async () => {
    const w15 = await weekTarget(plan.leafIds[0]!, "2026-W15");
    const sixty = (w15 * 60n) / 100n;
    clock = shanghai("2026-04-10T17:00:00"); // Friday of W15
    const reply = await say(emulator(), LINA, `本周完成${sixty}元`);
    expect(reply).toContain("已记录");
    await othersMeet("2026-W15");
    await evaluate("2026-04-13T12:00:00"); // W14 (published in it: excused) and W15 (60%: the first miss)
    expect(escalationCards(MANAGER)).toHaveLength(0);
    await othersMeet("2026-W16");
    await evaluate("2026-04-20T12:00:00"); // W16 unreported: the second miss
    const [card, ...more] = escalationCards(MANAGER);
    expect(more).toHaveLength(0);
    expect(card!.publicData.reasonText).toBe(`连续2周未达标：W15 ${formatAttainment(sixty, w15)}，W16 未填报`);
    expect(card!.privateData).toMatchObject({ canAct: "true" });
    expect(escalationCards(DIRECTOR_ID)).toHaveLength(0);
    const told = texts(LINA, "连续2周未达标");
    expect(told).toHaveLength(1);
    const [manager] = await svc.db.sql.query<{ name: string }>("SELECT name FROM staff WHERE user_id = $1", [MANAGER]);
    expect(told[0]).toContain(`已同步给${manager!.name}`);
    for (const other of OTHERS) expect(texts(other, "未达标"), other).toEqual([]);
  });

  it("已知悉 by the manager is recorded with who and when; the card shows it", async () => {
    clock = shanghai("2026-04-21T09:30:00");
    const [card] = escalationCards(MANAGER);
    const res = await emulator().clickCard(card!.outTrackId, MANAGER, { action: "ack" }, "ack");
    expect(res.status).toBe("applied");
    await svc.dingtalk!.outbox.drain();
    const [esc] = await openEscalations();
    expect(esc).toMatchObject({ status: "OPEN", streak: 2, currentLevel: 1, addressee: { userId: MANAGER } });
    expect(esc!.actions).toEqual([
      expect.objectContaining({ by: expect.objectContaining({ userId: MANAGER }), action: "ACK", level: 1 }),
    ]);
    expect(escalationCards(MANAGER)[0]!.publicData.status).toBe("acknowledged");
  });

  it("a third miss with no further action goes to the director, one level up", async () => {
    await othersMeet("2026-W17");
    await evaluate("2026-04-27T12:00:00");
    const [card, ...more] = escalationCards(DIRECTOR_ID);
    expect(more).toHaveLength(0);
    expect(card!.publicData.reasonText).toContain("连续3周未达标");
    expect(card!.privateData).toMatchObject({ canAct: "true" });
    const [esc] = await openEscalations();
    expect(esc).toMatchObject({ status: "OPEN", streak: 3, currentLevel: 2, addressee: { userId: DIRECTOR_ID } });
    expect(escalationCards(MANAGER)).toHaveLength(1); // the manager's card is redrawn, not sent again
  });

  it("a met W18 (reported in chat) closes it, tells the rep, the manager and the director; the cards show 已恢复", async () => {
    const w18 = await weekTarget(plan.leafIds[0]!, "2026-W18");
    clock = shanghai("2026-04-30T18:00:00"); // Thursday before May Day
    expect(await say(emulator(), LINA, `本周完成${w18}元`)).toContain("已记录");
    await othersMeet("2026-W18");
    await evaluate("2026-05-06T12:00:00"); // W18 closes after the May Day holiday
    const [esc] = await openEscalations();
    expect(esc).toMatchObject({ status: "RESOLVED", closeReason: "RECOVERED" });
    for (const person of [LINA, MANAGER, DIRECTOR_ID]) expect(texts(person, "已恢复"), person).toHaveLength(1);
    for (const person of [MANAGER, DIRECTOR_ID]) {
      expect(
        escalationCards(person).map((c) => c.publicData.status),
        person,
      ).toEqual(["resolved"]);
    }
  });

  it("re-running every evaluation, and the overdue check, sends nothing new", async () => {
    const before = await outboxCount();
    for (const at of ["2026-04-13T12:00:00", "2026-04-20T12:00:00", "2026-04-27T12:00:00", "2026-05-06T12:00:00"]) {
      expect((await evaluate(at)).ran).toBe(false);
    }
    // Other keys of the same days: each evaluates nothing again.
    await evaluate("2026-05-07T12:00:00");
    const overdue = await svc.api(
      "/api/jobs/escalation-overdue/run",
      jsonInit("POST", { at: "2026-05-07T12:30:00+08:00" }),
    );
    expect(overdue.status).toBe(200);
    expect(await outboxCount()).toBe(before);
  });
});
