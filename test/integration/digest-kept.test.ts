import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { insertProgressEntry } from "../../src/flows/progress/progress-queries.ts";
import { createTestDatabase } from "../helpers/test-db.ts";

/*
 * What the triggers of migration 20261208010000_digest_kept keep for the digest (docs/architecture.md "Kept for
 * the digest"), checked against what the stored rows say: after random sequences of progress writes the kept
 * figures in force, running totals and period totals equal those recomputed from progress_entry with the
 * digest's former query. Also the month arrays the digest reads (target_month_amounts, the table of record since
 * migration 20261211010000_months_as_arrays) against the target_month view over them.
 */

const MAX = 2n ** 63n - 1n;
// u2 and u8 share a shard of the period totals, u1 and u3 have one each (checked below).
const USERS = ["u1", "u2", "u3", "u8"];
// Two series of one plan year (weeks, months), a week of the year before, and a key outside every series.
const PERIODS = ["2026-W01", "2026-W02", "2026-W03", "2026-W05", "2026-W09", "2026-03", "2026-07", "2025-W52"];

interface Write {
  user: string;
  period: string;
  metric: "REVENUE" | "NEW_CUSTOMERS";
  source: "IMPORT" | "SELF_REPORT";
  amount: bigint;
}

const write = fc.record({
  user: fc.constantFrom(...USERS),
  period: fc.constantFrom(...PERIODS),
  metric: fc.constantFrom("REVENUE" as const, "NEW_CUSTOMERS" as const),
  source: fc.constantFrom("IMPORT" as const, "SELF_REPORT" as const),
  // Small amounts repeat (a repeat stores nothing; a different one is a correction); a few at the bigint limit.
  amount: fc.oneof(
    { weight: 8, arbitrary: fc.bigInt({ min: 0n, max: 5n }) },
    { weight: 1, arbitrary: fc.constant(MAX) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: MAX }) },
  ),
});

type Row = Record<string, string>;
const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

let db: Database;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

/** The kept rows of one plan, as text. */
async function kept(planId: string) {
  return {
    figures: await db.sql.query<Row>(
      `SELECT metric::text, user_id, series, period, amount::text, ytd::text FROM progress_figure WHERE plan_id = $1`,
      [planId],
    ),
    people: await db.sql.query<Row>(
      `SELECT metric::text, series, user_id, array_to_string(amounts, ',', '-') AS amounts,
              array_to_string(ytd, ',') AS ytd
         FROM progress_series_person WHERE plan_id = $1`,
      [planId],
    ),
    totals: await db.sql.query<Row>(
      `SELECT metric::text, series, period, shard::text, amount::text FROM progress_period_total WHERE plan_id = $1`,
      [planId],
    ),
  };
}

/**
 * From progress_entry alone, with the digest's former statement (DISTINCT ON in IN_FORCE_ORDER, the year's keys
 * of the period's cadence up to the period): each person's figure in force and year to date at every period
 * they have a figure for, and the period totals.
 */
async function recomputed(planId: string) {
  const inForce = `SELECT DISTINCT ON (metric, user_id, period) metric, user_id, period, amount,
                          progress_series_of(period) AS series
                     FROM progress_entry WHERE plan_id = $1
                    ORDER BY metric, user_id, period, (source = 'IMPORT') DESC, id DESC`;
  return {
    figures: await db.sql.query<Row>(
      `WITH f AS (${inForce})
       SELECT f.metric::text, f.user_id, f.series, f.period, f.amount::text,
              (SELECT sum(g.amount) FROM f g WHERE g.metric = f.metric AND g.user_id = f.user_id
                  AND g.series = f.series AND g.period <= f.period)::text AS ytd
         FROM f WHERE f.series IS NOT NULL`,
      [planId],
    ),
    // Each person's figures and running totals by the period's number in the year, 1–53.
    people: await db.sql.query<Row>(
      `WITH f AS (${inForce}), p AS (SELECT DISTINCT metric, series, user_id FROM f WHERE series IS NOT NULL)
       SELECT p.metric::text, p.series, p.user_id,
              (SELECT string_agg(coalesce(f.amount::text, '-'), ',' ORDER BY i) FROM generate_series(1, 53) AS i
                 LEFT JOIN f ON f.metric = p.metric AND f.user_id = p.user_id AND f.series = p.series
                        AND right(f.period, 2)::int = i) AS amounts,
              (SELECT string_agg(coalesce((SELECT sum(f.amount) FROM f WHERE f.metric = p.metric
                                             AND f.user_id = p.user_id AND f.series = p.series
                                             AND right(f.period, 2)::int <= i), 0)::text, ',' ORDER BY i)
                 FROM generate_series(1, 53) AS i) AS ytd
         FROM p`,
      [planId],
    ),
    // Per shard of the period total: the sum of the figures of the people in that shard.
    totals: await db.sql.query<Row>(
      `SELECT metric::text, series, period, progress_total_shard(user_id)::text AS shard, sum(amount)::text AS amount
         FROM (${inForce}) f
        WHERE series IS NOT NULL GROUP BY metric, series, period, progress_total_shard(user_id)`,
      [planId],
    ),
  };
}

describe("figures kept for the digest", () => {
  let run = 0;

  it("the users below cover both a shared shard of the period totals and shards of their own", async () => {
    const shards = await db.sql.query<{ user_id: string; shard: number }>(
      "SELECT u AS user_id, progress_total_shard(u) AS shard FROM unnest($1::text[]) AS u",
      [USERS],
    );
    const of = new Map(shards.map((r) => [r.user_id, Number(r.shard)]));
    expect(of.get("u2")).toBe(of.get("u8"));
    expect(new Set(of.values()).size).toBe(3);
  });

  it("equal the figures in force recomputed from progress_entry after any sequence of writes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 25 }), async (writes: Write[]) => {
        const planId = `kept-${run++}`;
        for (const w of writes)
          await insertProgressEntry(db.prisma, {
            planId,
            userId: w.user,
            period: w.period,
            metric: w.metric,
            amount: w.amount,
            source: w.source,
            origin: "test",
          });
        const got = await kept(planId);
        const want = await recomputed(planId);
        expect(sorted(got.figures)).toEqual(sorted(want.figures));
        expect(sorted(got.people)).toEqual(sorted(want.people));
        expect(sorted(got.totals)).toEqual(sorted(want.totals));
      }),
      { seed: 20261208, numRuns: 40 },
    );
  });

  it("a late figure for an earlier week moves that person's later running totals", async () => {
    const planId = "kept-late";
    const entry = (period: string, amount: bigint, source: "IMPORT" | "SELF_REPORT" = "SELF_REPORT") =>
      insertProgressEntry(db.prisma, {
        planId,
        userId: "u1",
        period,
        metric: "REVENUE",
        amount,
        source,
        origin: "test",
      });
    await entry("2026-W01", 10n);
    await entry("2026-W03", 30n);
    await entry("2026-W05", 50n);
    await entry("2026-W02", 20n); // late
    await entry("2026-W01", 15n); // correction
    await entry("2026-W03", 7n, "IMPORT"); // the company's figure beats the self-report
    await entry("2026-W03", 99n); // and a later self-report does not beat it
    const rows = await db.sql.query<{ period: string; amount: string; ytd: string }>(
      `SELECT period, amount::text, ytd::text FROM progress_figure WHERE plan_id = $1 ORDER BY period`,
      [planId],
    );
    expect(rows).toEqual([
      { period: "2026-W01", amount: "15", ytd: "15" },
      { period: "2026-W02", amount: "20", ytd: "35" },
      { period: "2026-W03", amount: "7", ytd: "42" },
      { period: "2026-W05", amount: "50", ytd: "92" },
    ]);
  });

  it("stay equal when writes for the same people arrive at once (on PostgreSQL, over several connections)", async () => {
    const planId = "kept-together";
    const writes = fc.sample(write, { seed: 7, numRuns: 60 });
    await Promise.all(
      writes.map((w) =>
        insertProgressEntry(db.prisma, {
          planId,
          userId: w.user,
          period: w.period,
          metric: w.metric,
          amount: w.amount,
          source: w.source,
          origin: "test",
        }),
      ),
    );
    const got = await kept(planId);
    const want = await recomputed(planId);
    expect(got.figures.length).toBeGreaterThan(5);
    expect(sorted(got.figures)).toEqual(sorted(want.figures));
    expect(sorted(got.totals)).toEqual(sorted(want.totals));
  });

  it("the backfill (progress_figure_rebuild) computes exactly what the trigger keeps", async () => {
    const all = async () => ({
      figures: sorted(
        await db.sql.query<Row>(
          "SELECT plan_id, metric::text, user_id, series, period, amount::text, ytd::text FROM progress_figure",
        ),
      ),
      people: sorted(
        await db.sql.query<Row>("SELECT plan_id, metric::text, series, user_id FROM progress_series_person"),
      ),
      totals: sorted(
        await db.sql.query<Row>(
          "SELECT plan_id, metric::text, series, period, shard, amount::text FROM progress_period_total",
        ),
      ),
    });
    const before = await all();
    expect(before.figures.length).toBeGreaterThan(10);
    await db.sql.query("SELECT progress_figure_rebuild()");
    expect(await all()).toEqual(before);
  });

  it("progress_entry refuses an edit or a delete, which would leave the kept figures stale", async () => {
    const entries = () => db.sql.query<Row>("SELECT id::text, amount::text FROM progress_entry ORDER BY id");
    const before = await entries();
    await expect(db.sql.query("UPDATE progress_entry SET amount = amount + 1")).rejects.toThrow(/append-only/);
    await expect(db.sql.query("DELETE FROM progress_entry")).rejects.toThrow(/append-only/);
    expect(await entries()).toEqual(before);
  });
});

describe("month arrays, which the digest reads, and the target_month view over them", () => {
  // Since migration 20261211010000_months_as_arrays the arrays are the table of record (no trigger keeps them):
  // what stays to check is that the view shows exactly the arrays, and that the table refuses what a trigger's
  // foreign key used to (a sum that does not match the target's amount is the conservation check's, in
  // plan-conservation.test.ts).
  const twelve = fc.array(fc.bigInt({ min: 0n, max: MAX }), { minLength: 12, maxLength: 12 });
  const op = fc.oneof(
    fc.record({ kind: fc.constant("upsert" as const), target: fc.integer({ min: 0, max: 3 }), amounts: twelve }),
    fc.record({ kind: fc.constant("delete" as const), target: fc.integer({ min: 0, max: 3 }) }),
    fc.record({
      kind: fc.constant("set" as const),
      target: fc.integer({ min: 0, max: 3 }),
      month: fc.integer({ min: 1, max: 12 }),
      amount: fc.bigInt({ min: 0n, max: MAX }),
    }),
  );

  /** A draft plan (its own department and owner) with root-level targets of these ids, amount 0. */
  async function planWithTargets(planId: string, targetIds: string[]) {
    await db.sql.query("INSERT INTO department (id, name) VALUES ($1, '销售部')", [`d-${planId}`]);
    await db.sql.query("INSERT INTO staff (user_id, name, dept_id, role) VALUES ($1, '总监', $2, 'DIRECTOR')", [
      `boss-${planId}`,
      `d-${planId}`,
    ]);
    await db.sql.query(
      `INSERT INTO plan (id, name, fiscal_year, metric, total, owner_user_id, timezone, cadence, status)
       VALUES ($1, $1, 2026, 'REVENUE', 0, $2, 'Asia/Shanghai', 'WEEK', 'DRAFT')`,
      [planId, `boss-${planId}`],
    );
    await db.sql.query(
      `INSERT INTO target (id, plan_id, key, label, depth, amount, state)
       SELECT id, $1, id, id, 0, 0, 'DRAFT' FROM unnest($2::text[]) AS id`,
      [planId, targetIds],
    );
  }

  it("the view's rows are each target's array in month order after any sequence of statements", async () => {
    await planWithTargets("months", ["mt0", "mt1", "mt2", "mt3"]);
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        await db.sql.query("DELETE FROM target_month_amounts WHERE target_id LIKE 'mt%'");
        for (const o of ops) {
          if (o.kind === "upsert")
            await db.sql.query(
              `INSERT INTO target_month_amounts (target_id, amounts) VALUES ($1, $2::bigint[])
               ON CONFLICT (target_id) DO UPDATE SET amounts = EXCLUDED.amounts`,
              [`mt${o.target}`, o.amounts.map(String)],
            );
          else if (o.kind === "delete")
            await db.sql.query("DELETE FROM target_month_amounts WHERE target_id = $1", [`mt${o.target}`]);
          else
            await db.sql.query("UPDATE target_month_amounts SET amounts[$2::int] = $3::bigint WHERE target_id = $1", [
              `mt${o.target}`,
              o.month,
              String(o.amount),
            ]);
        }
        const arrays = await db.sql.query<Row>(
          "SELECT target_id, array_to_string(amounts, ',') AS amounts FROM target_month_amounts WHERE target_id LIKE 'mt%'",
        );
        const rows = await db.sql.query<{ target_id: string; month: number; amount: string }>(
          "SELECT target_id, month, amount::text FROM target_month WHERE target_id LIKE 'mt%' ORDER BY target_id, month",
        );
        const fromRows = new Map<string, string[]>();
        for (const r of rows) {
          const months = fromRows.get(r.target_id) ?? [];
          expect(r.month).toBe(months.length + 1); // months 1–12, none missing or repeated
          fromRows.set(r.target_id, [...months, r.amount]);
        }
        expect(sorted(arrays)).toEqual(
          sorted([...fromRows].map(([target_id, amounts]) => ({ target_id, amounts: amounts.join(",") }))),
        );
      }),
      { seed: 20261211, numRuns: 30 },
    );
  });

  it("refuse months for an unknown target, and change nothing", async () => {
    await planWithTargets("fk", ["fk0"]);
    const months = Array.from({ length: 12 }, (_, i) => String(i + 1));
    await db.sql.query("INSERT INTO target_month_amounts (target_id, amounts) VALUES ('fk0', $1::bigint[])", [months]);
    const state = () =>
      db.sql.query<Row>(
        "SELECT target_id, array_to_string(amounts, ',') AS amounts FROM target_month_amounts WHERE target_id IN ('fk0', 'nope')",
      );
    const before = await state();
    expect(before).toEqual([{ target_id: "fk0", amounts: "1,2,3,4,5,6,7,8,9,10,11,12" }]);
    const refused = /target_month_amounts_target_id_fkey/;
    // Months for an unknown target alone, beside a known target's, and a row moved to an unknown target.
    await expect(
      db.sql.query("INSERT INTO target_month_amounts (target_id, amounts) VALUES ('nope', $1::bigint[])", [months]),
    ).rejects.toThrow(refused);
    await expect(
      db.sql.query(
        `INSERT INTO target_month_amounts (target_id, amounts) VALUES ('nope', $1::bigint[]), ('fk0', $1::bigint[])
         ON CONFLICT (target_id) DO UPDATE SET amounts = EXCLUDED.amounts`,
        [months.map((m) => `${m}0`)],
      ),
    ).rejects.toThrow(refused);
    await expect(
      db.sql.query("UPDATE target_month_amounts SET target_id = 'nope' WHERE target_id = 'fk0'"),
    ).rejects.toThrow(refused);
    expect(await state()).toEqual(before);
  });
});
