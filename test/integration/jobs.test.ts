import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { formatAmountShort } from "../../src/domain/format-amount.ts";
import { remainingWorkingPeriods, requiredRunRate } from "../../src/domain/run-rate.ts";
import { submitChangeRequest } from "../../src/flows/approval/index.ts";
import { cardsIn, robotMarkdowns, robotTexts } from "../helpers/chat.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/** A wall-clock moment in Shanghai (UTC+8, no DST). */
const shanghai = (local: string) => new Date(`${local}+08:00`);

let svc: TestService;
let planId: string;
let clock = shanghai("2026-04-01T09:00:00");
const emulator = () => svc.deps.emulator!;
const cardsOf = (userId: string, prefix: string) => cardsIn(emulator(), userId, prefix);
const textsOf = (userId: string) => robotTexts(emulator(), userId);
const runJob = async (job: string, body?: unknown) => {
  const res = await svc.api(`/api/jobs/${job}/run`, {
    method: "POST",
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string } } };
};
const tick = async (local: string) => {
  clock = shanghai(local);
  const outcomes = await svc.scheduler.tick();
  await svc.dingtalk!.outbox.drain();
  return outcomes.map((o) => `${o.job} ${o.period} ${o.ran}`);
};
const count = async (sql: string, params: unknown[] = []) =>
  Number((await svc.db.sql.query<{ n: bigint }>(sql, params))[0]?.n);
const owners = async () =>
  (
    await svc.db.sql.query<{ user_id: string; leaves: bigint }>(
      `SELECT owner_user_id AS user_id, count(*) AS leaves FROM target t WHERE plan_id = $1 AND state <> 'ARCHIVED'
        AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id) GROUP BY 1 ORDER BY 2 DESC, 1`,
      [planId],
    )
  ).map((r) => ({ userId: r.user_id, leaves: Number(r.leaves) }));

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
  const res = await svc.api(`/api/plans/${planId}/publish`, { method: "POST" });
  expect(res.status).toBe(200);
  await svc.dingtalk!.outbox.drain();
  // This file is about prompts and reminders. The ticks jump half a year at a time, so the daily evaluate job
  // would catch up months of the demo plan (nobody reports here) and escalate everyone; without a publish
  // stamp it leaves the plan alone (evaluation.test.ts and escalation-loop.test.ts cover it).
  await svc.db.sql.query("UPDATE target SET published_at = NULL WHERE plan_id = $1", [planId]);
}, 180_000);
afterAll(() => svc?.close());

describe("POST /api/jobs/:job/run", () => {
  it("refuses a bad body with 400 and an unknown job with 404 naming the jobs", async () => {
    const bad = await runJob("weekly-prompt", { at: "next friday" });
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({
      error: {
        code: "VALIDATION",
        message: "请求体无效",
        details: [
          { field: "at", message: "at 应为带时区的 ISO 时间，如 2026-04-03T16:00:00+08:00", code: "invalid_format" },
        ],
      },
    });
    const extra = await runJob("weekly-prompt", { at: "2026-04-03T16:00:00+08:00", extra: 1 });
    expect(extra.status).toBe(400);
    expect(extra.body.error).toMatchObject({
      code: "VALIDATION",
      details: [expect.objectContaining({ code: "unrecognized_keys" })],
    });
    const unknown = await runJob("nope", {});
    expect(unknown.status).toBe(404);
    const jobs = [
      "approval-reminder",
      "weekly-prompt",
      "monthly-prompt",
      "quarterly-prompt",
      "progress-reminder",
      "monthly-progress-reminder",
      "quarterly-progress-reminder",
      "confirm-reminder",
      "evaluate",
      "escalation-overdue",
      "weekly-digest",
      "retention",
    ];
    expect(unknown.body.error?.message).toContain(jobs.join("、"));
    expect(unknown.body.error).toMatchObject({ details: { jobs } });
    expect(await count("SELECT count(*) AS n FROM job_run")).toBe(0);
  });

  it("weekly-prompt: each leaf owner gets one card with period target, YTD and run-rate; a second run sends nothing", async () => {
    const [multi] = await owners(); // the person owning the most leaves: their card shows the sums
    expect(multi!.leaves).toBeGreaterThan(1);
    const who = multi!.userId;
    const entries = [
      { userId: who, planId, period: "2026-W10", amount: "300000", source: "SELF_REPORT" },
      { userId: who, planId, period: "2026-W10", amount: "350000", source: "IMPORT" }, // IMPORT wins
      { userId: who, planId, period: "2026-W12", amount: "200000", source: "SELF_REPORT" },
      { userId: who, planId, period: "2026-W14", amount: "90000", source: "SELF_REPORT" }, // this week: not YTD
    ];
    const posted = await svc.api("/api/progress", {
      method: "POST",
      body: JSON.stringify({ entries: entries.map((e) => ({ ...e, amount: Number(e.amount) })) }),
      headers: { "content-type": "application/json" },
    });
    expect(posted.status, await posted.clone().text()).toBe(200);

    const first = await runJob("weekly-prompt", { at: "2026-04-03T16:00:00+08:00" });
    expect(first).toMatchObject({
      status: 200,
      body: { job: "weekly-prompt", period: "2026-W14", ran: true, status: "DONE" },
    });
    await svc.dingtalk!.outbox.drain();
    const all = await owners();
    expect(first.body.result).toMatchObject({ plans: 1, prompts: all.length, queued: all.length });
    for (const o of all) expect(cardsOf(o.userId, `prg.${planId}.2026-W14.`), o.userId).toHaveLength(1);

    // Independent figures: the period target from GET /progress; YTD target = the weeks before it, summed.
    const progress = async (period: string) => {
      const r = await svc.api(`/api/plans/${planId}/progress?period=${period}`);
      const body = (await r.json()) as { owners: { userId: string; target: string | number }[] };
      return BigInt(body.owners.find((x) => x.userId === who)!.target);
    };
    let ytdTarget = 0n;
    for (let w = 1; w <= 13; w++) ytdTarget += await progress(`2026-W${String(w).padStart(2, "0")}`);
    const annual = (
      await svc.db.prisma.target.findMany({ where: { planId, ownerUserId: who, children: { none: {} } } })
    )
      .map((t) => t.amount)
      .reduce((s, a) => s + a, 0n);
    const runRate = requiredRunRate({
      annualTarget: annual,
      ytdActual: 550_000n,
      remainingPeriods: remainingWorkingPeriods("2026-W14", 2026, svc.deps.calendar),
    });
    const [card] = cardsOf(who, `prg.${planId}.2026-W14.`);
    expect(card!.outTrackId).toBe(`prg.${planId}.2026-W14.${who}`);
    expect(card!.publicData).toMatchObject({
      status: "reported", // they gave this week's figure before the prompt: the card shows it, with 修改
      periodTargetText: formatAmountShort(await progress("2026-W14")),
      ytdActualText: formatAmountShort(550_000n),
      ytdTargetText: formatAmountShort(ytdTarget),
      runRateText: `每周需完成 ${formatAmountShort(runRate)}，才能达成全年 ${formatAmountShort(annual)}`,
      dueText: "请在 4月7日 12:00 前填报", // Monday 04-06 is Qingming: evaluated on Tuesday
    });
    expect(card!.privateData.canAct).toBe("true");
    expect(card!.publicData.statusText).toMatch(/^已提交：9万/);
    const other = all.find((o) => o.userId !== who)!.userId;
    expect(cardsOf(other, `prg.${planId}.2026-W14.`)[0]!.publicData).toMatchObject({ status: "pending" });

    const cards = emulator().listCards().length;
    const again = await runJob("weekly-prompt", { at: "2026-04-05T20:00:00+08:00" });
    expect(again).toMatchObject({ status: 200, body: { period: "2026-W14", ran: false, status: "DONE" } });
    await svc.dingtalk!.outbox.drain();
    expect(emulator().listCards()).toHaveLength(cards);
  });

  it("an empty body runs the job for now", async () => {
    clock = shanghai("2026-04-01T11:00:00"); // before any card was queued: nothing to remind yet
    const r = await runJob("confirm-reminder");
    expect(r).toMatchObject({ status: 200, body: { job: "confirm-reminder", period: "2026-04-01", ran: true } });
    expect(r.body.result).toMatchObject({ reminders: 0, notices: 0 });
  });
});

type Leaf = Awaited<ReturnType<typeof leafTargets>>[number];
const leafTargets = () =>
  svc.db.prisma.target.findMany({
    where: { planId, children: { none: {} } },
    include: { owner: true },
    orderBy: { id: "asc" },
  });
let nday: { leaves: Leaf[]; confirmed: Leaf; disputed: Leaf };

describe("2026 National Day on the injected clock", () => {
  beforeAll(async () => {
    // Target cards were queued on Tuesday 09-29 (set here: the clock is injected, the confirm flow stamps real
    // time); one target is confirmed, one disputed — neither is reminded.
    await svc.db.sql.query("UPDATE target_card_sent SET sent_at = $1", [shanghai("2026-09-29T15:00:00")]);
    const leaves = await leafTargets();
    const [confirmed, disputed] = leaves as [Leaf, Leaf];
    await svc.db.prisma.targetAck.create({
      data: { targetId: confirmed.id, version: 1, userId: confirmed.ownerUserId!, outTrackId: "test" },
    });
    // A real 有异议 request (routed, with its effects), so the approval-reminder job at the same trigger finds it
    // current and leaves it pending.
    await svc.db.prisma.$transaction((tx) =>
      submitChangeRequest(
        svc.deps,
        tx,
        {
          targetId: disputed.id,
          requesterUserId: disputed.ownerUserId!,
          proposedAmount: disputed.amount / 2n,
          reason: "太高",
          rebalance: "RESERVE",
          source: "CARD",
          kind: "DISPUTE",
        },
        shanghai("2026-09-29T15:00:00"),
      ),
    );
    nday = { leaves, confirmed, disputed };
  });

  it("weekly-prompt: nothing on holiday Friday 10-02; W40 prompts on Wednesday 09-30, due Thursday 10-08 12:00", async () => {
    expect((await tick("2026-10-02T16:00:00")).filter((o) => o.startsWith("weekly-prompt"))).toEqual([]);
    expect((await tick("2026-09-30T16:00:00")).filter((o) => o.startsWith("weekly-prompt"))).toEqual([
      "weekly-prompt 2026-W40 true",
    ]);
    const [o] = await owners();
    const [card] = cardsOf(o!.userId, `prg.${planId}.2026-W40.`);
    expect(card!.publicData).toMatchObject({ dueText: "请在 10月8日 12:00 前填报" });
  });

  it("progress-reminder: not on holiday Monday 10-05; on Thursday 10-08 10:00, only to non-reporters, once", async () => {
    const all = (await owners()).map((o) => o.userId);
    const [reporter, importer, ...rest] = all;
    const posted = await svc.api("/api/progress", {
      method: "POST",
      body: JSON.stringify({
        entries: [
          { userId: reporter, planId, period: "2026-W40", amount: 350000, source: "SELF_REPORT" },
          { userId: importer, planId, period: "2026-W40", amount: 120000, source: "IMPORT" },
        ],
      }),
      headers: { "content-type": "application/json" },
    });
    expect(posted.status).toBe(200);
    expect((await tick("2026-10-05T10:00:00")).filter((o) => o.startsWith("progress-reminder"))).toEqual([]);
    expect((await tick("2026-10-08T10:00:00")).filter((o) => o.startsWith("progress-reminder"))).toEqual([
      "progress-reminder 2026-W40 true",
    ]);
    const rows = await svc.db.sql.query<{ payload: { userIds: string[]; msgKey: string } }>(
      "SELECT payload FROM outbox_message WHERE idempotency_key LIKE $1",
      [`rmd.prg.${planId}.2026-W40.%`],
    );
    expect(rows.every((r) => r.payload.userIds.length <= 20 && r.payload.msgKey === "sampleText")).toBe(true);
    expect(rows.flatMap((r) => r.payload.userIds).sort()).toEqual([...rest].sort());
    const w40 = (u: string) => textsOf(u).filter((t) => t.includes("2026-W40"));
    expect(w40(reporter!)).toEqual([]);
    expect(w40(importer!)).toEqual([]);
    expect(w40(rest[0]!)).toHaveLength(1);
    expect(w40(rest[0]!)[0]).toMatch(/还没有填报.+2026-W40[\s\S]+上周完成35万[\s\S]+10月8日 12:00 评估前/);

    const again = await runJob("progress-reminder", { at: "2026-10-08T11:00:00+08:00" });
    expect(again.body).toMatchObject({ period: "2026-W40", ran: false });
    await svc.dingtalk!.outbox.drain();
    expect(w40(rest[0]!)).toHaveLength(1);
  });

  it("confirm-reminder: the owner after 1 full workday (10-08), the manager after 3 (Saturday 补班 10-10): one message per person, each target named once", async () => {
    for (const day of ["09-30", "10-01", "10-05", "10-08", "10-09", "10-10", "10-12"])
      await tick(`2026-${day}T10:00:00`);
    const runs = await svc.db.sql.query<{
      period: string;
      result: { reminders: number; notices: number; remindedTargets: number; noticedTargets: number };
    }>("SELECT period, result FROM job_run WHERE job = 'confirm-reminder' AND period >= '2026-09' ORDER BY period");
    const { confirmed, disputed } = nday;
    const settled = new Set([confirmed.id, disputed.id]);
    const unsettled = nday.leaves.filter((l) => !settled.has(l.id));
    const open = unsettled.length;
    // One message per person: each owner of an open leaf is reminded once, each of their managers told once.
    const owning = new Set(unsettled.map((l) => l.ownerUserId)).size;
    const managing = new Set(unsettled.map((l) => l.owner?.managerUserId).filter(Boolean)).size;
    // Holidays 10-01 … 10-07 have no run at all; each kind goes out once, on its day.
    expect(
      runs.map((r) => [
        r.period,
        r.result.reminders,
        r.result.remindedTargets,
        r.result.notices,
        r.result.noticedTargets,
      ]),
    ).toEqual([
      ["2026-09-30", 0, 0, 0, 0],
      ["2026-10-08", owning, open, 0, 0],
      ["2026-10-09", 0, 0, 0, 0],
      ["2026-10-10", 0, 0, managing, open],
      ["2026-10-12", 0, 0, 0, 0],
    ]);
    expect(await runJob("confirm-reminder", { at: "2026-10-12T18:00:00+08:00" })).toMatchObject({
      body: { ran: false },
    });
    const named = (kind: string) => count("SELECT count(*) AS n FROM confirm_reminder WHERE kind = $1", [kind]);
    expect([await named("OWNER"), await named("MANAGER")]).toEqual([open, open]);

    const owner = unsettled.find((l) => l.owner?.managerUserId)!.owner!;
    const mine = unsettled.filter((l) => l.ownerUserId === owner.userId).length;
    const texts = textsOf(owner.userId).filter((t) => t.startsWith("【目标确认提醒】"));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(new RegExp(`有 ${mine} 个目标还没有确认[\\s\\S]+确认[\\s\\S]+有异议`));
    expect(texts[0]!.split("\n").filter((l) => l.startsWith("- "))).toHaveLength(
      Math.min(mine, 20) + (mine > 20 ? 1 : 0),
    );
    for (const t of [confirmed, disputed]) {
      // Settled targets are named to nobody (their owners' other leaves may still be).
      expect(await count("SELECT count(*) AS n FROM confirm_reminder WHERE target_id = $1", [t.id])).toBe(0);
    }
    const managerNotices = robotMarkdowns(emulator(), owner.managerUserId!).filter((m) =>
      m.title.endsWith("个目标已 3 个工作日未确认"),
    );
    expect(managerNotices).toHaveLength(1);
    const team = unsettled.filter((l) => l.owner?.managerUserId === owner.managerUserId).length;
    expect(managerNotices[0]!.title).toBe(`${team} 个目标已 3 个工作日未确认`);
  });
});
