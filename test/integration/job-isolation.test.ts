import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardsIn, robotTexts } from "../helpers/chat.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { createSmallPlan, SMALL_PLAN_REPS } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/**
 * Issue #15 item 4: one plan with a bad time zone stopped every scheduled job for the plans after it. Plans are
 * now validated on create, and each job runs plan by plan: the bad one is named in the run's status, the
 * others are done.
 */
const shanghai = (local: string) => new Date(`${local}+08:00`);
let svc: TestService;
let bad: string; // created first, so it comes first in every job's loop
let good: string;
let badLeaves: string[];
let goodLeaves: string[];
const clock = shanghai("2026-04-01T09:00:00");

const runJob = async (job: string, at: string) => {
  const res = await svc.api(`/api/jobs/${job}/run`, jsonInit("POST", { at }));
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; error?: string; result?: Record<string, unknown> };
};
const count = async (sql: string, params: unknown[] = []) =>
  Number((await svc.db.sql.query<{ n: bigint }>(sql, params))[0]?.n);

beforeAll(async () => {
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => clock });
  ({ planId: bad, leafIds: badLeaves } = await createSmallPlan(svc));
  ({ planId: good, leafIds: goodLeaves } = await createSmallPlan(svc));
  for (const id of [bad, good]) {
    const res = await svc.api(`/api/plans/${id}/publish`, { method: "POST" });
    expect(res.status, await res.clone().text()).toBe(200);
  }
  await svc.dingtalk!.outbox.drain();
  // Stored before plans were validated (the API now refuses it, see below): only SQL can put it there.
  await svc.db.sql.query("UPDATE plan SET timezone = '2026-Q5' WHERE id = $1", [bad]);
}, 180_000);
afterAll(() => svc?.close());

describe("plan settings are validated on create", () => {
  it("refuses a time zone that is not an IANA zone with 400 naming the field, and stores nothing", async () => {
    const plans = await count("SELECT count(*) AS n FROM plan");
    const targets = await count("SELECT count(*) AS n FROM target");
    const res = await svc.api(
      "/api/plans",
      jsonInit("POST", { name: "坏时区", fiscalYear: 2026, total: 1000, ownerUserId: "m11", timezone: "2026-Q5" }),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: {
        code: "VALIDATION",
        details: [{ field: "timezone", message: "timezone 应为 IANA 时区名，如 Asia/Shanghai" }],
      },
    });
    expect(await count("SELECT count(*) AS n FROM plan")).toBe(plans);
    expect(await count("SELECT count(*) AS n FROM target")).toBe(targets);
  });

  it("refuses a bad cadence and bad thresholds the same way", async () => {
    const plans = await count("SELECT count(*) AS n FROM plan");
    const base = { name: "坏设置", fiscalYear: 2026, total: 1000, ownerUserId: "m11" };
    for (const [extra, field] of [
      [{ cadence: "DAY" }, "cadence"],
      [{ missThreshold: 0 }, "missThreshold"],
      [{ approvalThresholds: [15, 5] }, "approvalThresholds"],
    ] as const) {
      const res = await svc.api("/api/plans", jsonInit("POST", { ...base, ...extra }));
      expect(res.status, field).toBe(400);
      const body = (await res.json()) as { error: { details: { field: string }[] } };
      expect(body.error.details.map((d) => d.field)).toContain(field);
    }
    const ok = await svc.api("/api/plans", jsonInit("POST", { ...base, timezone: "Europe/Berlin" }));
    expect(ok.status).toBe(201);
    expect(await count("SELECT count(*) AS n FROM plan")).toBe(plans + 1);
    // Left as a draft: no job looks at drafts.
  });
});

describe("a plan stored with a bad time zone does not stop the jobs for the others", () => {
  it("weekly-prompt: the good plan's owners get their cards; the run is FAILED naming the bad plan and why", async () => {
    const outcome = await runJob("weekly-prompt", "2026-04-03T16:00:00+08:00");
    expect(outcome.status).toBe("FAILED");
    expect(outcome.error).toContain(`「华东小计划」(${bad})`);
    expect(outcome.error).toContain("时区「2026-Q5」无效");
    expect(outcome.result).toMatchObject({
      plans: 2,
      prompts: 3,
      queued: 3,
      failed: [{ planId: bad, plan: "华东小计划", error: expect.stringContaining("2026-Q5") }],
    });
    await svc.dingtalk!.outbox.drain();
    for (const rep of SMALL_PLAN_REPS) {
      expect(cardsIn(svc.deps.emulator!, rep, `prg.${good}.2026-W14.`), rep).toHaveLength(1);
      expect(cardsIn(svc.deps.emulator!, rep, `prg.${bad}.`), rep).toHaveLength(0);
    }
    const [run] = await svc.db.sql.query<{ status: string; error: string; result: { failed: { planId: string }[] } }>(
      "SELECT status::text AS status, error, result FROM job_run WHERE job = 'weekly-prompt' AND period = '2026-W14'",
    );
    expect(run).toMatchObject({ status: "FAILED", result: { failed: [{ planId: bad }] } });
    expect(run!.error).toContain(bad);

    // A rerun (the next trigger, or an admin once the zone is fixed) sends the good plan nothing twice.
    const again = await runJob("weekly-prompt", "2026-04-03T16:00:00+08:00");
    expect(again).toMatchObject({ status: "FAILED", result: { prompts: 3, queued: 0 } });
    await svc.db.sql.query("UPDATE plan SET timezone = 'Asia/Shanghai' WHERE id = $1", [bad]);
    const fixed = await runJob("weekly-prompt", "2026-04-03T16:00:00+08:00");
    expect(fixed).toMatchObject({ status: "DONE", result: { plans: 2, prompts: 6, queued: 3 } });
    await svc.dingtalk!.outbox.drain();
    for (const rep of SMALL_PLAN_REPS) expect(cardsIn(svc.deps.emulator!, rep, `prg.${bad}.2026-W14.`)).toHaveLength(1);
    await svc.db.sql.query("UPDATE plan SET timezone = '2026-Q5' WHERE id = $1", [bad]);
  });

  it("progress-reminder: the same", async () => {
    const outcome = await runJob("progress-reminder", "2026-04-06T10:00:00+08:00");
    expect(outcome.status).toBe("FAILED");
    expect(outcome.result).toMatchObject({ plans: 2, failed: [{ planId: bad }] });
    expect(outcome.result!.recipients).toBeGreaterThan(0);
  });

  it("confirm-reminder: the good plan's owners are reminded; the bad plan is named", async () => {
    const outcome = await runJob("confirm-reminder", "2026-12-09T10:00:00+08:00");
    expect(outcome.status).toBe("FAILED");
    expect(outcome.result).toMatchObject({ reminders: 3, failed: [{ planId: bad, plan: "华东小计划" }] });
    await svc.dingtalk!.outbox.drain();
    for (const rep of SMALL_PLAN_REPS) {
      const texts = robotTexts(svc.deps.emulator!, rep).filter((t) => t.startsWith("【目标确认提醒】"));
      expect(texts, rep).toHaveLength(1);
    }
    const named = await svc.db.sql.query<{ plan_id: string }>(
      "SELECT DISTINCT t.plan_id FROM confirm_reminder r JOIN target t ON t.id = r.target_id",
    );
    expect(named.map((r) => r.plan_id)).toEqual([good]);
  });

  it("evaluate: the good plan's closed weeks are evaluated; the bad plan is named", async () => {
    const outcome = await runJob("evaluate", "2026-04-08T12:00:00+08:00");
    expect(outcome.status).toBe("FAILED");
    expect(outcome.result).toMatchObject({ failed: [{ planId: bad }] });
    const evaluated = await svc.db.sql.query<{ plan_id: string }>("SELECT DISTINCT plan_id FROM evaluated_period");
    expect(evaluated.map((r) => r.plan_id)).toEqual([good]);
  });

  it("escalation-overdue: the good plan's overdue escalations go up; the bad plan is named", async () => {
    // Both plans evaluated (zone fixed for a moment), so both have open escalations; then the zone breaks again.
    await svc.db.sql.query("UPDATE plan SET timezone = 'Asia/Shanghai' WHERE id = $1", [bad]);
    expect(await runJob("evaluate", "2026-04-22T12:00:00+08:00")).toMatchObject({ status: "DONE" });
    const open = await svc.db.sql.query<{ plan_id: string }>(
      "SELECT DISTINCT plan_id FROM escalation WHERE status = 'OPEN' ORDER BY plan_id",
    );
    expect(open.map((r) => r.plan_id).sort()).toEqual([bad, good].sort());
    await svc.db.sql.query("UPDATE plan SET timezone = '2026-Q5' WHERE id = $1", [bad]);
    const levels = async (planId: string) =>
      count(
        "SELECT count(*) AS n FROM escalation_level l JOIN escalation e ON e.id = l.escalation_id WHERE e.plan_id = $1",
        [planId],
      );
    const badBefore = await levels(bad);
    const goodBefore = await levels(good);
    const outcome = await runJob("escalation-overdue", "2026-04-28T12:30:00+08:00");
    expect(outcome.status).toBe("FAILED");
    expect(outcome.result).toMatchObject({ failed: [{ planId: bad }] });
    expect(outcome.result!.raised).toBeGreaterThan(0);
    expect(await levels(good)).toBeGreaterThan(goodBefore);
    expect(await levels(bad)).toBe(badBefore);
  });

  it("weekly-digest: the good plan's viewers get their digest; the bad plan is named", async () => {
    // W16 was evaluated for both plans above (2026-04-22); the bad plan's zone is broken again since.
    const outcome = await runJob("weekly-digest", "2026-04-23T13:00:00+08:00");
    expect(outcome.status).toBe("FAILED");
    expect(outcome.result).toMatchObject({
      failed: [{ planId: bad }],
      digests: [{ planId: good, period: "2026-W16" }],
    });
    const sent = await svc.db.sql.query<{ plan_id: string }>("SELECT DISTINCT plan_id FROM digest_sent");
    expect(sent.map((r) => r.plan_id)).toEqual([good]);
    expect(await count("SELECT count(*) AS n FROM digest_sent WHERE plan_id = $1", [good])).toBeGreaterThan(0);
  });

  it("approval-reminder: the good plan's request is handled; the bad plan's request is named", async () => {
    await svc.db.sql.query("UPDATE plan SET timezone = 'Asia/Shanghai' WHERE id = $1", [bad]);
    for (const targetId of [badLeaves[0], goodLeaves[0]]) {
      const res = await svc.api(
        "/api/change-requests",
        jsonInit("POST", { targetId, requesterUserId: SMALL_PLAN_REPS[0], proposedAmount: "1", reason: "大客户流失" }),
      );
      expect(res.status, await res.clone().text()).toBe(201);
    }
    await svc.db.sql.query("UPDATE plan SET timezone = '2026-Q5' WHERE id = $1", [bad]);
    const outcome = await runJob("approval-reminder", "2026-12-14T10:00:00+08:00");
    expect(outcome.status).toBe("FAILED");
    expect(outcome.error).toContain(bad);
    expect(outcome.result).toMatchObject({ failed: [{ planId: bad, plan: "华东小计划" }] });
    // The good plan's request, pending since the clock's day, had its approver reminded or moved up.
    const { reminded, movedUp } = outcome.result as { reminded: number; movedUp: number };
    expect(reminded + movedUp).toBe(1);
  });
});
