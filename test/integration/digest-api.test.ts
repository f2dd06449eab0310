import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { jsonInit } from "../helpers/plan-api.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * GET /api/plans/:id/digest through the started service (real HTTP, admin auth) on the demo plan: 1.8亿 split by
 * region, product line, channel and segment down to 133 reps (one 西北 rep owns two leaves), published, with
 * progress in several weeks — corrections, an import beating a self-report, and later weeks that must not count.
 * The clock is Tuesday 2026-03-10 09:00: W10 (03-02…03-08) closed on Monday at 12:00, W11 is under way.
 */

const NOW = new Date("2026-03-10T09:00:00+08:00");
let svc: TestService;
let planId: string;

type Json = Record<string, unknown>;
const digest = async (query = "", id = planId) => {
  const res = await svc.api(`/api/plans/${id}/digest${query}`);
  return { status: res.status, body: (await res.json()) as Json & { error?: { message: string } } };
};
const post = async (entries: unknown[]) => {
  const res = await svc.api("/api/progress", jsonInit("POST", { entries }));
  expect(res.status, await res.clone().text()).toBe(200);
};
const q = <T>(sql: string, params: unknown[] = []) => svc.db.sql.query<T>(sql, params);

/** The year to date by hand: per person and week the IMPORT with the highest id, else the latest row. */
async function storedYtd(upTo: string, owners?: string[]): Promise<bigint> {
  const [row] = await q<{ total: string | null }>(
    `SELECT sum(e.amount)::text AS total FROM progress_entry e
      WHERE e.plan_id = $1 AND e.period BETWEEN '2026-W01' AND $2
        AND ($3::text[] IS NULL OR e.user_id = ANY($3::text[]))
        AND e.id = COALESCE(
          (SELECT max(i.id) FROM progress_entry i WHERE i.plan_id = e.plan_id AND i.user_id = e.user_id
              AND i.period = e.period AND i.source = 'IMPORT'),
          (SELECT max(a.id) FROM progress_entry a WHERE a.plan_id = e.plan_id AND a.user_id = e.user_id
              AND a.period = e.period))`,
    [planId, upTo, owners ?? null],
  );
  return BigInt(row?.total ?? "0");
}

const tableCounts = async () =>
  q<{ t: string; n: string }>(
    `SELECT 'progress' AS t, count(*)::text AS n FROM progress_entry UNION ALL
     SELECT 'outbox', count(*)::text FROM outbox_message UNION ALL
     SELECT 'staff', count(*)::text FROM staff UNION ALL SELECT 'target', count(*)::text FROM target`,
  );

beforeAll(async () => {
  svc = await startTestService({}, { now: () => NOW });
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
  // Publishing sends 134 cards through the outbox; here only the published state matters.
  await q("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
  await q("UPDATE target SET state = 'PUBLISHED', published_at = '2026-01-05T10:00:00+08:00' WHERE plan_id = $1", [
    planId,
  ]);
  const reps = (
    await q<{ user_id: string }>(
      "SELECT DISTINCT owner_user_id AS user_id FROM target WHERE plan_id = $1 AND dimension = 'OWNER' ORDER BY 1",
      [planId],
    )
  ).map((r) => r.user_id);
  // Weeks 5, 6, 9 and 10: every other rep reports, amounts vary by rep; 李娜 corrects herself, and an import
  // beats 张's self-report.
  for (const period of ["2026-W05", "2026-W06", "2026-W09", "2026-W10"]) {
    await post(
      reps
        .filter((_, i) => (i + Number(period.slice(6))) % 2 === 0)
        .map((userId, i) => ({ userId, planId, period, amount: 10_000 + i * 137, source: "SELF_REPORT" })),
    );
  }
  await post([{ userId: "r11001", planId, period: "2026-W10", amount: 88_888, source: "SELF_REPORT" }]);
  await post([{ userId: "r11001", planId, period: "2026-W10", amount: 77_777, source: "SELF_REPORT" }]);
  await post([{ userId: "r11002", planId, period: "2026-W10", amount: 99_999, source: "SELF_REPORT" }]);
  await post([{ userId: "r11002", planId, period: "2026-W10", amount: 33_333, source: "IMPORT" }]);
  await post([{ userId: "r11002", planId, period: "2026-W10", amount: 44_444, source: "SELF_REPORT" }]);
  // The week under way and a later one: never part of W10's year to date.
  await post([{ userId: "r11003", planId, period: "2026-W11", amount: 5_000_000 }]);
  await q(
    `INSERT INTO progress_entry (plan_id, user_id, period, metric, amount, source, origin)
     VALUES ($1, 'r12001', '2026-W12', 'REVENUE', 7000000, 'IMPORT', 'test')`,
    [planId],
  );
}, 180_000);
afterAll(() => svc.close());

describe("GET /api/plans/:id/digest — the whole plan", () => {
  it("YTD actual is exactly the sum of the stored figures in force through the period, later weeks left out", async () => {
    const { status, body } = await digest("?period=2026-W10");
    expect(status).toBe(200);
    const totals = body.totals as Json;
    const expected = await storedYtd("2026-W10");
    expect(expected).toBeGreaterThan(0n);
    expect(BigInt(totals.ytdActual as string)).toBe(expected);
    expect(typeof totals.ytdActual).toBe("string");
    // The later weeks' 5,000,000 and 7,000,000 would show: the stored sum through W12 is that much more.
    expect((await storedYtd("2026-W12")) - expected).toBe(12_000_000n);
    const series = body.series as Json[];
    expect(series.map((s) => s.period)).toEqual(
      Array.from({ length: 10 }, (_, i) => `2026-W${String(i + 1).padStart(2, "0")}`),
    );
    expect(series.at(-1)!.cumulativeActual).toBe(totals.ytdActual);
    expect(series.at(-1)!.cumulativeExpected).toBe(totals.ytdTarget);
    expect(series.find((s) => s.period === "2026-W08")!.expected).toBe("0"); // Spring Festival: no workday
    expect(body.viewer).toEqual({ userId: null, name: null, scope: "PLAN", role: null });
  });

  it("the period's actual is the figures in force of W10: 李娜's correction and the import beating a self-report", async () => {
    const { body } = await digest("?period=2026-W10");
    const [row] = await q<{ n: string }>(
      `SELECT sum(amount)::text AS n FROM (SELECT DISTINCT ON (user_id) amount FROM progress_entry
         WHERE plan_id = $1 AND period = '2026-W10' ORDER BY user_id, (source = 'IMPORT') DESC, id DESC) x`,
      [planId],
    );
    expect((body.totals as Json).periodActual).toBe(row!.n);
    const people = [...((body.top as Json).people as Json[]), ...((body.bottom as Json).people as Json[])];
    expect(people.length).toBe(10);
  });

  it("defaults to the latest closed period, W10", async () => {
    const { body } = await digest();
    expect(body.period).toBe("2026-W10");
    expect(body.previousPeriod).toBe("2026-W09");
  });

  it("breaks down by every split dimension and by team, each adding up to the total", async () => {
    const { body } = await digest("?period=2026-W10");
    const breakdowns = body.breakdowns as { dimension: string; title: string; rows: Json[] }[];
    expect(breakdowns.map((b) => [b.dimension, b.title])).toEqual([
      ["REGION", "区域"],
      ["PRODUCT_LINE", "产品线"],
      ["CHANNEL", "渠道"],
      ["CUSTOMER_SEGMENT", "客户类型"],
      ["TEAM", "团队"],
    ]);
    const total = BigInt((body.totals as Json).ytdActual as string);
    for (const b of breakdowns) {
      const sum = b.rows.reduce((s, r) => s + BigInt((r.figures as Json).ytdActual as string), 0n);
      expect(sum, b.dimension).toBe(total);
    }
    expect(breakdowns[0]!.rows.map((r) => r.label)).toEqual(["华东", "华南", "华北", "东北", "西北"]);
    expect(breakdowns[4]!.rows).toHaveLength(5); // the director's five regional managers' teams
    expect(breakdowns[0]!.rows.every((r) => typeof r.deltaPoints === "number")).toBe(true);
    expect(((body.top as Json).regions as Json[]).length).toBe(5);
  });

  it("says who reported: freshness, and the non-reporters among the exceptions with their count", async () => {
    const { body } = await digest("?period=2026-W10");
    const [row] = await q<{ owners: number; reported: number }>(
      `SELECT count(DISTINCT t.owner_user_id)::int AS owners,
              count(DISTINCT e.user_id)::int AS reported
         FROM target t LEFT JOIN progress_entry e ON e.user_id = t.owner_user_id AND e.plan_id = t.plan_id
          AND e.period = '2026-W10'
        WHERE t.plan_id = $1 AND t.dimension = 'OWNER'`,
      [planId],
    );
    const freshness = body.freshness as Json;
    expect(freshness).toMatchObject({ owners: row!.owners, reported: row!.reported });
    const counts = body.exceptionCounts as Record<string, number>;
    expect(counts.NOT_REPORTED).toBe(row!.owners - row!.reported);
    const exceptions = body.exceptions as Json[];
    expect(exceptions.filter((e) => e.kind === "NOT_REPORTED")).toHaveLength(20);
    expect(exceptions.find((e) => e.kind === "NOT_REPORTED")!.text).toMatch(/^\S+ W10 未填报$/);
    expect(body.empty).toBe(false);
  });
});

describe("GET /api/plans/:id/digest?userId= — a viewer's scope", () => {
  const namesOf = async (where: string) =>
    (await q<{ user_id: string; name: string }>(`SELECT user_id, name FROM staff WHERE ${where}`)).map((r) => r);

  it("a regional manager sees their region only: no name or id from another region appears anywhere", async () => {
    const { status, body } = await digest("?period=2026-W10&userId=m11");
    expect(status).toBe(200);
    expect(body.viewer).toMatchObject({ userId: "m11", scope: "SUBTREE", role: "MANAGER" });
    const text = JSON.stringify(body);
    const outside = await namesOf("dept_id <> '11' AND user_id <> 'm11'");
    expect(outside.length).toBeGreaterThan(100);
    for (const p of outside) {
      expect(text, p.name).not.toContain(`"${p.user_id}"`);
      expect(text, p.name).not.toContain(p.name);
    }
    const region = (body.breakdowns as { dimension: string; rows: Json[] }[])[0]!;
    expect(region.rows.map((r) => r.label)).toEqual(["华东"]);
    expect((body.top as Json).regions).toEqual([]);
    const reps = (await namesOf("dept_id = '11' AND role = 'REP'")).map((p) => p.user_id);
    expect(BigInt((body.totals as Json).ytdActual as string)).toBe(await storedYtd("2026-W10", reps));
    expect((body.freshness as Json).owners).toBe(40);
  });

  it("the director and the plan's owner see the whole plan", async () => {
    const whole = await digest("?period=2026-W10");
    const { body } = await digest("?period=2026-W10&userId=wangjianguo");
    expect(body.viewer).toMatchObject({ userId: "wangjianguo", name: "王建国", scope: "PLAN", role: "DIRECTOR" });
    expect(body.totals).toEqual(whole.body.totals);
  });

  it("a person with nobody under them and no target: 404 saying so; unknown 404; the viewer who left 409", async () => {
    const before = await tableCounts();
    const nobody = await digest("?period=2026-W10&userId=mk2");
    expect(nobody.status).toBe(404);
    expect(nobody.body.error!.message).toContain("名下没有下属，也没有本计划的目标");
    const unknown = await digest("?period=2026-W10&userId=no-such-person");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error!.message).toBe("员工 no-such-person 不存在");
    await q("UPDATE staff SET active = false WHERE user_id = 'm15'");
    try {
      const left = await digest("?period=2026-W10&userId=m15");
      expect(left.status).toBe(409);
      expect(left.body.error!.message).toMatch(/已离职/);
    } finally {
      await q("UPDATE staff SET active = true WHERE user_id = 'm15'");
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("a manager of two regions sees everyone under them, in both, and nobody else", async () => {
    await q("UPDATE staff SET manager_user_id = 'm12' WHERE user_id = 'm13'");
    try {
      const { status, body } = await digest("?period=2026-W10&userId=m12");
      expect(status).toBe(200);
      const region = (body.breakdowns as { dimension: string; rows: Json[] }[])[0]!;
      expect(region.rows.map((r) => r.label).sort()).toEqual(["华北", "华南"].sort());
      expect((body.freshness as Json).owners).toBe(32 + 28);
      const team = (body.breakdowns as { dimension: string; rows: Json[] }[]).find((b) => b.dimension === "TEAM")!;
      expect(team.rows.find((r) => r.key === "m13")).toMatchObject({ label: expect.stringMatching(/团队$/) });
      const text = JSON.stringify(body);
      for (const p of await namesOf("dept_id NOT IN ('12', '13')")) {
        if (p.user_id === "m12") continue;
        expect(text, p.name).not.toContain(p.name);
      }
      const reps = (await namesOf("dept_id IN ('12', '13') AND role = 'REP'")).map((p) => p.user_id);
      expect(BigInt((body.totals as Json).ytdActual as string)).toBe(await storedYtd("2026-W10", reps));
    } finally {
      await q("UPDATE staff SET manager_user_id = 'wangjianguo' WHERE user_id = 'm13'");
    }
  });

  it("a leaver's target is flagged as needing a new owner, for the director and the leaver's manager", async () => {
    await q("UPDATE staff SET active = false WHERE user_id = 'r14003'");
    try {
      for (const who of ["", "&userId=m14"]) {
        const { body } = await digest(`?period=2026-W10${who}`);
        const flagged = (body.exceptions as Json[]).filter((e) => e.kind === "NEEDS_OWNER");
        expect(flagged.length, who).toBeGreaterThan(0);
        expect(flagged[0]!.text).toMatch(/^西北 \/ .+：负责人 \S+ 已离职，需要重新指派$/);
      }
      const { body } = await digest("?period=2026-W10&userId=m11");
      expect((body.exceptions as Json[]).some((e) => e.kind === "NEEDS_OWNER")).toBe(false);
    } finally {
      await q("UPDATE staff SET active = true WHERE user_id = 'r14003'");
    }
  });
});

describe("GET /api/plans/:id/digest — bad input: a clear error, nothing changed", () => {
  it.each([
    ["?period=2026-W99", 400, "period「2026-W99」无效，应为周（如 2026-W14）"],
    ["?period=abc", 400, "period「abc」无效，应为周（如 2026-W14）"],
    ["?period=2026-03", 400, "该计划按周考核，period 应为周（如 2026-W14）"],
    ["?period=2026-W12", 400, "周期 2026-W12 还没有开始（今天是 2026-03-10）"],
    ["?period=2025-W50", 400, "周期 2025-W50 早于计划年度 2026"],
    ["?period=2027-W02", 400, "周期 2027-W02 晚于计划年度 2026"],
    ["?period=", 400, "查询参数无效"],
  ])("%s → %i", async (query, status, message) => {
    const before = await tableCounts();
    const res = await digest(query);
    expect(res.status).toBe(status);
    expect(res.body.error!.message).toBe(message);
    expect(await tableCounts()).toEqual(before);
  });

  it("an unknown plan is a 404; without the admin token a 401", async () => {
    const res = await digest("?period=2026-W10", "no-such-plan");
    expect(res.status).toBe(404);
    expect(res.body.error!.message).toBe("计划 no-such-plan 不存在");
    const anonymous = await fetch(`${svc.url}/api/plans/${planId}/digest`);
    expect(anonymous.status).toBe(401);
  });

  it("the week under way is allowed: its figures so far", async () => {
    const { status, body } = await digest("?period=2026-W11");
    expect(status).toBe(200);
    expect((body.totals as Json).periodActual).toBe("5000000");
  });
});

describe("GET /api/plans/:id/digest — figures of someone who owns no leaf", () => {
  it("count nowhere: not in the totals, not in the weekly bars, for the director or the manager", async () => {
    const before = {
      plan: (await digest("?period=2026-W10")).body,
      m11: (await digest("?period=2026-W10&userId=m11")).body,
    };
    // m11 (a regional manager: region and product-line targets, no leaf) reports W09 and W10 figures himself.
    const [owns] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM target t WHERE t.plan_id = $1 AND t.owner_user_id = 'm11'
          AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id)`,
      [planId],
    );
    expect(owns!.n).toBe(0);
    await post([
      { userId: "m11", planId, period: "2026-W09", amount: 1_000_000, source: "SELF_REPORT" },
      { userId: "m11", planId, period: "2026-W10", amount: 2_000_000, source: "SELF_REPORT" },
    ]);
    for (const query of ["?period=2026-W10", "?period=2026-W10&userId=m11"]) {
      const { body } = await digest(query);
      const was = query.includes("m11") ? before.m11 : before.plan;
      expect(body.totals).toEqual(was.totals);
      expect(body.series).toEqual(was.series);
      expect((body.series as Json[]).at(-1)!.cumulativeActual).toBe((body.totals as Json).ytdActual);
    }
  });
});
