import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { APP, CARD_TEMPLATE_ENV, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { tableCounts } from "../helpers/table-counts.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Issue #16 item 1, server side: the guided sandbox's controls — the demo plan's state and roles, 发布目标, the
 * business clock (jobs run through the scheduler's tick and runOnce claims as they fall due) and 模拟团队 — as
 * the sandbox page calls them, over HTTP, with the emulator in-process and the bot connected to it.
 */

let svc: TestService;
/**
 * The business clock starts on Sunday 2026-03-01 20:00 in Shanghai and runs on in real time: the plan is published
 * before week 10 begins, so week 10 counts and two weeks of the team bring an escalation.
 */
const START = new Date("2026-03-01T12:00:00Z");

type Ran = { job: string; period: string; outcome: string };
type ClockAnswer = { now: string; nowText: string; ran: Ran[] };

const post = (path: string, body: unknown) =>
  fetch(svc.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const clock = async (to: string) => {
  const res = await post("/sandbox/api/clock", { to });
  expect(res.status, await res.clone().text()).toBe(200);
  await svc.dingtalk!.outbox.drain();
  return (await res.json()) as ClockAnswer;
};
const jobRuns = async () =>
  (await svc.db.sql.query<{ job: string; period: string; status: string }>(
    "SELECT job, period, status::text AS status FROM job_run ORDER BY job, period",
  )) as { job: string; period: string; status: string }[];
// biome-ignore lint/suspicious/noExplicitAny: JSON answers read field by field
const json = async (res: Response): Promise<any> => res.json();
const state = async () => json(await fetch(`${svc.url}/sandbox/api/state`));
const keys = (ran: Ran[]) => ran.map((r) => `${r.job} ${r.period}`);

beforeAll(async () => {
  let offset = 0;
  svc = await startTestService(
    { DINGTALK_QPS: "500" },
    { sandbox: { demo: false }, now: () => new Date(Date.now() + offset) },
  );
  await seedDemo(svc.db, svc.deps.calendar);
  // Set once the company is built (which takes a while on a busy machine), so the first test reads 20:00.
  offset = START.getTime() - Date.now();
}, 120_000);

afterAll(async () => {
  await svc?.close();
});

describe("the guided sandbox's controls", () => {
  it("state: the clock's time, the demo plan as a draft, and the three roles with a hint each", async () => {
    const res = await fetch(`${svc.url}/sandbox/api/state`);
    expect(res.status).toBe(200);
    const now = await json(res);
    expect(now.nowText).toBe("2026-03-01 周日 20:00");
    expect(now.plan).toMatchObject({ name: "2026年度销售目标", status: "DRAFT", period: "2026-W09" });
    expect(now.published).toBe(false);
    expect(now.roles.rep).toMatchObject({ userId: "r11001", name: "李娜" });
    expect(now.roles.manager).toMatchObject({ userId: "m11" });
    expect(now.roles.director).toMatchObject({ userId: "wangjianguo", name: "王建国" });
    for (const role of Object.values(now.roles) as { hint: string }[]) expect(role.hint).toMatch(/[\u4e00-\u9fa5]{6}/);
    // The rep has a manager above and a target of her own to confirm.
    const rep = await svc.db.prisma.staff.findUnique({ where: { userId: "r11001" } });
    expect(rep?.managerUserId).toBe("m11");
  });

  it("publish: every leaf owner's target card is queued through the publish code; again is a 409 that changes nothing", async () => {
    const res = await post("/sandbox/api/publish", {});
    expect(res.status, await res.clone().text()).toBe(200);
    const body = await json(res);
    // One card per leaf target, each to a rep: the 133 reps of the five regions own them all.
    const sent = await svc.db.sql.query<{ cards: number; reps: number; others: number }>(
      `SELECT count(*)::int AS cards, count(DISTINCT user_id)::int AS reps,
              count(*) FILTER (WHERE user_id NOT LIKE 'r1%')::int AS others FROM target_card_sent`,
    );
    expect(sent[0]).toMatchObject({ cards: body.cards, reps: 133, others: 0 });
    expect(body.message).toContain(`${body.cards} 张目标卡片`);
    expect((await svc.db.prisma.plan.findFirst())?.status).toBe("PUBLISHED");
    await svc.dingtalk!.outbox.drain();
    expect(svc.deps.emulator!.getInbox("r11001").some((i) => i.kind === "card")).toBe(true);

    const before = await tableCounts(svc.db);
    const again = await post("/sandbox/api/publish", {});
    expect(again.status).toBe(409);
    expect((await json(again)).error.message).toContain("已发布");
    expect(await tableCounts(svc.db)).toEqual(before);
    expect((await state()).published).toBe(true);
  });

  it("simulate: the team confirms, disputes, asks for changes and reports — through chat and card taps", async () => {
    const next = await clock("next-day");
    expect(next.nowText).toMatch(/^2026-03-02 周一 20:\d\d$/); // the same time a day later (the clock runs on)
    expect(keys(next.ran)).toContain("confirm-reminder 2026-03-02");

    const inboundBefore = await svc.db.prisma.inboundEvent.count();
    const res = await post("/sandbox/api/simulate", {});
    expect(res.status, await res.clone().text()).toBe(200);
    const sim = await json(res);
    await svc.dingtalk!.outbox.drain();
    expect(sim).toMatchObject({ late: 0, disputes: 3, changeRequests: 2 });
    expect(sim.confirmed).toBeGreaterThan(100);
    expect(sim.reported).toBeGreaterThan(70);
    expect(sim.silent).toBeGreaterThan(3);
    // Rows came from the inbound path (one inbound event per message or tap), not written directly.
    const inbound = await svc.db.prisma.inboundEvent.count();
    expect(inbound - inboundBefore).toBeGreaterThanOrEqual(sim.confirmed + sim.disputes + sim.reported + 2 * 2);
    expect(await svc.db.prisma.targetAck.count()).toBe(sim.confirmed);
    const entries = await svc.db.prisma.progressEntry.findMany({ where: { period: "2026-W10" } });
    expect(entries).toHaveLength(sim.reported);
    expect(entries.every((e) => e.source === "SELF_REPORT" && e.origin)).toBe(true);
    const requests = await svc.db.prisma.changeRequest.findMany();
    expect(requests.filter((r) => r.kind === "DISPUTE")).toHaveLength(3);
    expect(requests.filter((r) => r.kind === "CHANGE")).toHaveLength(2);
    // The three tour people are left to the visitor.
    for (const userId of ["r11001", "m11", "wangjianguo"]) {
      expect(await svc.db.prisma.targetAck.count({ where: { userId } })).toBe(0);
      expect(entries.some((e) => e.userId === userId)).toBe(false);
    }
    // The weak region (华东) reports well under target; a change request reached a manager as an approval card.
    const managers = new Set(requests.filter((r) => r.kind === "CHANGE").map((r) => r.requesterUserId.slice(1, 3)));
    const approvalCards = [...managers].flatMap((d) =>
      svc.deps.emulator!.getInbox(`m${d}`).filter((i) => i.kind === "card" && i.outTrackId.startsWith("apr.")),
    );
    expect(approvalCards.length).toBeGreaterThanOrEqual(2);

    // Again in the same period: nothing new, nothing written.
    const before = await tableCounts(svc.db);
    const again = await json(await post("/sandbox/api/simulate", {}));
    expect(again).toEqual({ reported: 0, late: 0, silent: sim.silent, disputes: 0, changeRequests: 0, confirmed: 0 });
    expect(await tableCounts(svc.db)).toEqual(before);
  }, 120_000);

  it("the clock moves to Friday 16:00 and the week's jobs run in order through the scheduler, each once", async () => {
    const before = await jobRuns();
    const res = await clock("friday-16");
    expect(res.nowText).toBe("2026-03-06 周五 16:00");
    // Monday 20:00 → Friday 16:00: the daily workday jobs Tuesday to Friday, the weekly prompt at 16:00.
    for (const day of ["2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06"]) {
      expect(keys(res.ran)).toContain(`confirm-reminder ${day}`);
      expect(keys(res.ran)).toContain(`evaluate ${day}`);
    }
    expect(keys(res.ran)).not.toContain("evaluate 2026-03-02");
    expect(keys(res.ran)).toContain("weekly-prompt 2026-W10");
    expect(keys(res.ran).indexOf("evaluate 2026-03-06")).toBeLessThan(keys(res.ran).indexOf("weekly-prompt 2026-W10"));
    expect(new Set(keys(res.ran)).size).toBe(res.ran.length);
    expect(res.ran.every((r) => r.outcome === "DONE")).toBe(true);
    // Exactly the runs job_run gained, each claimed once.
    const after = await jobRuns();
    expect(after.length - before.length).toBe(res.ran.length);
    // The prompt reached the rep: a progress card in her chat.
    expect(
      svc.deps.emulator!.getInbox("r11001").filter((i) => i.kind === "card" && i.outTrackId.startsWith("prg.")),
    ).toHaveLength(1);
  }, 60_000);

  it("the clock never goes backward: an earlier moment is a 400 that changes nothing, and no job runs twice", async () => {
    const before = await tableCounts(svc.db);
    const then = await state();
    const res = await post("/sandbox/api/clock", { to: "2026-03-05T16:00:00+08:00" });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toContain("只能向前拨");
    const bad = await post("/sandbox/api/clock", { to: "yesterday" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("next-day");
    expect(await tableCounts(svc.db)).toEqual(before);
    expect((await state()).nowText).toBe(then.nowText);
  });

  it("Monday 12:00: the reminder at 10:00, the late ones answer it, then the week is evaluated at 12:00", async () => {
    const res = await clock("monday-12");
    expect(res.nowText).toBe("2026-03-09 周一 12:00");
    expect(keys(res.ran)).toEqual(
      expect.arrayContaining(["progress-reminder 2026-W10", "evaluate 2026-03-09", "confirm-reminder 2026-03-09"]),
    );
    expect(keys(res.ran)).not.toContain("weekly-prompt 2026-W10");
    expect(keys(res.ran).indexOf("progress-reminder 2026-W10")).toBeLessThan(
      keys(res.ran).indexOf("evaluate 2026-03-09"),
    );
    const late = (res as ClockAnswer & { team: { late: number } }).team.late;
    expect(late).toBeGreaterThan(5);
    const evaluated = await svc.db.prisma.evaluatedPeriod.findMany();
    expect(evaluated.map((e) => e.period)).toContain("2026-W10");
    // The late figures were in before the evaluation: every evaluation of the week counts them.
    const w10 = await svc.db.prisma.periodEvaluation.findMany({ where: { period: "2026-W10" } });
    expect(w10.length).toBeGreaterThan(100);
  }, 60_000);

  it("a second week of the team and the clock: escalations to managers, and the director's digest with its chart", async () => {
    const sim = await json(await post("/sandbox/api/simulate", {}));
    expect(sim.reported).toBeGreaterThan(70);
    const res = await clock("monday-12");
    expect(res.nowText).toBe("2026-03-16 周一 12:00");
    expect(keys(res.ran)).toEqual(
      expect.arrayContaining(["weekly-digest 2026-03-09", "weekly-prompt 2026-W11", "evaluate 2026-03-16"]),
    );
    await svc.dingtalk!.outbox.drain();
    // Two missed weeks in a row: the weak region's reps are escalated to their manager, on a card.
    const escalations = await svc.db.prisma.escalation.findMany();
    expect(escalations.length).toBeGreaterThan(5);
    expect(escalations.some((e) => e.ownerUserId.startsWith("r11"))).toBe(true);
    expect(svc.deps.emulator!.getInbox("m11").some((i) => i.kind === "card" && i.outTrackId.startsWith("esc."))).toBe(
      true,
    );
    // The director's chat on the sandbox page shows the Monday digest with its chart.
    const chat = await json(await fetch(`${svc.url}/sandbox/api/conversation/wangjianguo`));
    const image = chat.items.find((i: { kind: string }) => i.kind === "image");
    expect(image).toBeDefined();
    const png = await fetch(svc.url + image.src);
    expect(png.headers.get("content-type")).toBe("image/png");
  }, 120_000);
});

describe("with real DingTalk credentials", () => {
  it("the guided sandbox's routes do not exist", async () => {
    const em = await startTestEmulator();
    const live = await startTestService({
      DINGTALK_CLIENT_ID: APP.clientId,
      DINGTALK_CLIENT_SECRET: APP.clientSecret,
      DINGTALK_API_BASE: em.url,
      DINGTALK_OAPI_BASE: em.url,
      ...CARD_TEMPLATE_ENV,
    });
    try {
      expect(live.deps.businessClock).toBeUndefined();
      expect((await fetch(`${live.url}/sandbox/api/state`)).status).toBe(404);
      for (const path of ["publish", "clock", "simulate"]) {
        const res = await live.api(`/sandbox/api/${path}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ to: "next-day" }),
        });
        expect(res.status, path).toBe(404);
      }
    } finally {
      await live.close();
      await em.close();
    }
  });
});
