import { expect } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { jsonInit } from "./plan-api.ts";
import type { TestService } from "./test-service.ts";

/**
 * The dashboard's tests start here: the demo company (1.8亿 by region, product line, channel and segment down to
 * 133 reps), published on 2026-01-05, with ten weeks of figures — most reps report close to their target, every
 * fifth misses W09 and W10 (an escalation each), every seventh never reports — evaluated through the evaluate
 * job. The clock is Tuesday 2026-03-10 09:00 in Shanghai: W10 closed on Monday at 12:00.
 */
export const DASHBOARD_NOW = new Date("2026-03-10T09:00:00+08:00");

export async function dashboardFixture(svc: TestService): Promise<{ planId: string; reps: string[] }> {
  const { planId } = await seedDemo(svc.db, svc.deps.calendar);
  const q = (sql: string, params: unknown[] = []) => svc.db.sql.query(sql, params);
  // Publishing sends 134 cards; here only the published state matters.
  await q("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
  await q("UPDATE target SET state = 'PUBLISHED', published_at = '2026-01-05T10:00:00+08:00' WHERE plan_id = $1", [
    planId,
  ]);
  const reps = (
    await svc.db.sql.query<{ user_id: string }>(
      "SELECT DISTINCT owner_user_id AS user_id FROM target WHERE plan_id = $1 AND dimension = 'OWNER' ORDER BY 1",
      [planId],
    )
  ).map((r) => r.user_id);
  const entries: unknown[] = [];
  for (let w = 2; w <= 10; w++) {
    const period = `2026-W${String(w).padStart(2, "0")}`;
    reps.forEach((userId, i) => {
      if (i % 7 === 3) return; // never reports
      const misses = i % 5 === 0 && w >= 9;
      const amount = misses ? 5_000 : 30_000 + ((i * 7919 + w * 104_729) % 40_000);
      entries.push({ userId, planId, period, amount, source: "SELF_REPORT" });
    });
  }
  const res = await svc.api("/api/progress", jsonInit("POST", { entries }));
  expect(res.status, await res.clone().text()).toBe(200);
  const run = await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: DASHBOARD_NOW.toISOString() }));
  expect(run.status, await run.clone().text()).toBe(200);
  return { planId, reps };
}

/** Row counts of every table a dashboard request could touch: equal before and after a refused request. */
export async function tableCounts(svc: TestService) {
  const tables = [
    "staff",
    "plan",
    "target",
    "target_ledger",
    "progress_entry",
    "period_evaluation",
    "escalation",
    "change_request",
    "outbox_message",
    "job_run",
  ];
  const rows = await svc.db.sql.query<{ t: string; n: string }>(
    tables.map((t) => `SELECT '${t}' AS t, count(*)::text AS n FROM ${t}`).join(" UNION ALL "),
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)]));
}
