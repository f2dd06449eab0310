import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { referenceOrg } from "../../src/demo/reference-org.ts";
import { defaultCalendar } from "../../src/domain/calendar.ts";
import { expectedToDate } from "../../src/domain/phasing.ts";
import { loadDigest } from "../../src/flows/digest/index.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { SMALL_PLAN_REPS } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The digest's edge cases through real HTTP: a plan with no progress at all (and a draft plan), amounts near
 * PostgreSQL's bigint limit kept exact end to end, and the exceptions the real evaluation leaves behind (an
 * escalation with its streak, a miss, no person named twice). Small plans of the three 华东 reps, owner m11.
 * The clock is Tuesday 2026-03-10 09:00 (W10 closed on Monday at 12:00).
 */

const NOW = new Date("2026-03-10T09:00:00+08:00");
let svc: TestService;
type Json = Record<string, unknown>;

const ok = async (res: Response, status = 200) => {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as Json;
};
const q = <T>(sql: string, params: unknown[] = []) => svc.db.sql.query<T>(sql, params);
const digest = async (planId: string, query = "?period=2026-W10") =>
  ok(await svc.api(`/api/plans/${planId}/digest${query}`));

/** A plan split equally between the three reps, phased by workdays; `total` a decimal string (exact). */
async function smallPlan(name: string, total: string, publish = true): Promise<string> {
  const plan = await ok(
    await svc.api("/api/plans", jsonInit("POST", { name, fiscalYear: 2026, total, ownerUserId: "m11" })),
    201,
  );
  await ok(
    await svc.api(
      `/api/plans/${plan.id}/splits`,
      jsonInit("POST", {
        parentTargetId: plan.rootTargetId,
        dimension: "OWNER",
        method: "EQUAL",
        children: SMALL_PLAN_REPS.map((userId) => ({ key: userId, ownerUserId: userId, coOwnerUserIds: ["m11"] })),
      }),
    ),
    201,
  );
  await ok(await svc.api(`/api/plans/${plan.id}/phasing`, jsonInit("POST", { profile: "WORKDAYS" })));
  if (publish) {
    // Publishing would send the target cards; only the published state matters here.
    await q("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [plan.id]);
    await q("UPDATE target SET state = 'PUBLISHED', published_at = '2026-02-20T10:00:00+08:00' WHERE plan_id = $1", [
      plan.id,
    ]);
  }
  return plan.id as string;
}
const report = async (planId: string, userId: string, period: string, amount: string) =>
  ok(await svc.api("/api/progress", jsonInit("POST", { entries: [{ userId, planId, period, amount }] })));

beforeAll(async () => {
  // Sandbox mode (no demo company): the evaluation's escalation cards need a DingTalk app, the emulator's.
  svc = await startTestService({ DINGTALK_QPS: "500" }, { sandbox: { demo: false }, now: () => NOW });
  await ok(await svc.api("/api/org", jsonInit("PUT", referenceOrg())));
}, 120_000);
afterAll(() => svc.close());

describe("a plan with no progress at all", () => {
  it("answers zeros, not errors; flags what there is; and is empty once nothing else is left to flag", async () => {
    const planId = await smallPlan("没有进度", "15600000");
    const d = await digest(planId);
    const totals = d.totals as Json;
    expect(totals).toMatchObject({ ytdActual: "0", periodActual: "0", ytdAttainment: 0, periodAttainment: null });
    expect(BigInt(totals.ytdTarget as string)).toBeGreaterThan(0n);
    expect(totals.requiredRunRate).not.toBe("0");
    expect((d.series as Json[]).every((s) => s.actual === "0")).toBe(true);
    expect(d.freshness).toEqual({ owners: 3, reported: 0, share: 0 });
    const kinds = (d.exceptions as Json[]).map((e) => e.kind);
    expect(kinds).toEqual([
      "NOT_REPORTED",
      "NOT_REPORTED",
      "NOT_REPORTED",
      "UNCONFIRMED",
      "UNCONFIRMED",
      "UNCONFIRMED",
    ]);
    expect(d.empty).toBe(false);
    // Every owner confirms: only the non-reports are left, and a week with nothing reported is empty.
    await q(
      `INSERT INTO target_ack (target_id, version, user_id, out_track_id)
       SELECT id, version, owner_user_id, 'test.' || id FROM target WHERE plan_id = $1 AND dimension = 'OWNER'`,
      [planId],
    );
    expect((await digest(planId)).empty).toBe(true);
  });

  it("a plan never published is empty", async () => {
    const planId = await smallPlan("草稿", "15600000", false);
    const d = await digest(planId);
    expect(d.empty).toBe(true);
    expect(d.breakdowns).toEqual([]);
    expect((d.totals as Json).annualTarget).toBe("0");
  });
});

describe("amounts near the bigint limit stay exact", () => {
  it("the year to date, targets and series are exact decimal strings, never rounded through a float", async () => {
    const planId = await smallPlan("大数", "9000000000000000000");
    const figure = "1234567890123456789";
    for (const userId of SMALL_PLAN_REPS)
      for (const period of ["2026-W09", "2026-W10"]) await report(planId, userId, period, figure);
    const d = await digest(planId);
    const totals = d.totals as Json;
    expect(totals.ytdActual).toBe((6n * BigInt(figure)).toString()); // 7407407340740740734
    expect(totals.periodActual).toBe((3n * BigInt(figure)).toString());
    expect(totals.annualTarget).toBe("9000000000000000000");
    const months = await q<{ months: string[] }>(
      `SELECT array_agg(m.amount::text ORDER BY m.month) AS months FROM target t JOIN target_month m ON m.target_id = t.id
        WHERE t.plan_id = $1 AND t.dimension = 'OWNER' GROUP BY t.id`,
      [planId],
    );
    const ytdTarget = months.reduce(
      (s, r) => s + expectedToDate(r.months.map(BigInt), 2026, "2026-03-08", defaultCalendar),
      0n,
    );
    expect(totals.ytdTarget).toBe(ytdTarget.toString());
    expect((d.series as Json[]).at(-1)).toMatchObject({
      cumulativeActual: totals.ytdActual,
      cumulativeExpected: totals.ytdTarget,
    });
    const person = ((d.top as Json).people as Json[])[0]!;
    expect(person.ytdActual).toBe((2n * BigInt(figure)).toString());
    expect(typeof totals.ytdAttainment).toBe("number");
  });
});

describe("exceptions after the real evaluation", () => {
  it("an escalation with its streak first, then this week's miss; nobody named twice", async () => {
    const planId = await smallPlan("评估", "15600000");
    const [li, zhang] = SMALL_PLAN_REPS; // the third reports nothing: two misses in a row
    for (const period of ["2026-W09", "2026-W10"]) await report(planId, li, period, "500000");
    await report(planId, zhang, "2026-W09", "500000");
    await report(planId, zhang, "2026-W10", "50000");
    const run = await ok(
      await svc.api("/api/jobs/evaluate/run", jsonInit("POST", { at: "2026-03-09T12:00:00+08:00" })),
    );
    expect(run.status).toBe("DONE");
    const names = new Map(referenceOrg().staff.map((s) => [s.userId, s.name]));
    const d = await digest(planId);
    const exceptions = d.exceptions as Json[];
    expect(exceptions.map((e) => [e.kind, e.text])).toEqual([
      ["ESCALATION", `${names.get(SMALL_PLAN_REPS[2])} 连续2周未达标`],
      [
        "MISS",
        expect.stringMatching(new RegExp(`^${names.get(zhang)} W10 未达标：完成 5万元 / 目标 [\\d.]+万元（\\d+%）$`)),
      ],
      ["UNCONFIRMED", expect.any(String)],
      ["UNCONFIRMED", expect.any(String)],
      ["UNCONFIRMED", expect.any(String)],
    ]);
    expect(exceptions[0]!.streak).toBe(2);
    // An approval step left since Thursday (3 workdays by Tuesday) is listed last; one pending since this
    // morning is not yet overdue.
    const leaves = await q<{ id: string; owner_user_id: string }>(
      "SELECT id, owner_user_id FROM target WHERE plan_id = $1 AND dimension = 'OWNER'",
      [planId],
    );
    const leafOf = (userId: string) => leaves.find((l) => l.owner_user_id === userId)!.id;
    for (const [id, owner, since] of [
      ["cr-old", li, "2026-03-05T10:00:00+08:00"],
      ["cr-new", zhang, "2026-03-10T08:00:00+08:00"],
    ] as const) {
      await q(
        `INSERT INTO change_request (id, plan_id, target_id, target_version, kind, requester_user_id, reason,
                                     current_amount, proposed_amount, updated_at)
         VALUES ($1, $2, $3, 1, 'CHANGE', $4, '市场变化', 5200000, 4800000, now())`,
        [id, planId, leafOf(owner), owner],
      );
      await q(
        `INSERT INTO approval_step (request_id, level, role, approver_user_id, status, pending_since)
         VALUES ($1, 1, 'MANAGER', 'm11', 'PENDING', $2)`,
        [id, since],
      );
    }
    const after = (await digest(planId)).exceptions as Json[];
    expect(after.slice(0, 5)).toEqual(exceptions);
    expect(after.slice(5).map((e) => [e.kind, e.requestId, e.text])).toEqual([
      [
        "APPROVAL_OVERDUE",
        "cr-old",
        `${names.get("m11")} 待审批 ${names.get(li)} 的目标调整已 3 个工作日（${names.get(li)}）`,
      ],
    ]);
    const [open] = await q<{ n: number }>(
      "SELECT count(*)::int AS n FROM escalation WHERE plan_id = $1 AND status = 'OPEN'",
      [planId],
    );
    expect((d.exceptionCounts as Json).ESCALATION).toBe(open!.n);
  });
});

describe("loadDigest inside a transaction", () => {
  it("reads the same digest inside a transaction (its statements one after another) as the API answers", async () => {
    const planId = await smallPlan("事务", "15600000");
    await report(planId, SMALL_PLAN_REPS[0], "2026-W10", "123456");
    const viaApi = await digest(planId, "?period=2026-W10&userId=m11");
    const inTx = await svc.db.sql.transaction((tx) =>
      loadDigest(tx, { planId, period: "2026-W10", viewerUserId: "m11", calendar: svc.deps.calendar, now: NOW }),
    );
    const json = JSON.parse(JSON.stringify(inTx, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
    expect(json).toEqual(viaApi);
    expect(inTx.totals.periodActual).toBe(123_456n);
  });
});
