import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProgressFigure, reportProgress } from "../../src/flows/progress/report-progress.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The progress_entry trigger (migration 20261208010000_digest_kept) locks a person's kept-figures row, then the
 * period's plan total. Imports (many figures, several people and weeks) racing each other and single chat-like
 * reports must never deadlock: reportProgress locks all of an import's people first, in one order, then writes
 * by period and by the person's shard of the period total (migration 20261211020000_period_total_shards). The
 * period total is kept in shards so that two people's reports of one week do not wait on each other's commit.
 * PostgreSQL only: PGlite has one connection, so nothing there runs at once.
 */
const onPostgres = !!process.env.DATABASE_URL;
let svc: TestService;
let plan: SmallPlan;

beforeAll(async () => {
  if (!onPostgres) return;
  svc = await startTestService({}, { sandbox: { demo: false } });
  plan = await publishedSmallPlan(svc);
}, 120_000);
afterAll(async () => {
  await svc?.close();
});

/** Each of the plan's reps' shard of a period total (progress_total_shard), by user id. */
async function shardsOfReps() {
  const rows = await svc.db.sql.query<{ user_id: string; shard: number }>(
    "SELECT u AS user_id, progress_total_shard(u) AS shard FROM unnest($1::text[]) AS u",
    [[...SMALL_PLAN_REPS]],
  );
  return new Map(rows.map((r) => [r.user_id, Number(r.shard)]));
}

const weekTotal = async (period: string) =>
  (
    await svc.db.sql.query<{ total: string | null }>(
      "SELECT sum(amount)::text AS total FROM progress_period_total WHERE plan_id = $1 AND period = $2",
      [plan.planId, period],
    )
  )[0]!.total;

describe.runIf(onPostgres)("progress writes racing on PostgreSQL", () => {
  it("two people's reports of one week commit while the other's transaction still holds its period total", async () => {
    const shards = await shardsOfReps();
    const [a, b] = [...SMALL_PLAN_REPS].filter(
      (u, i, all) => all.findIndex((v) => shards.get(v) === shards.get(u)) === i,
    );
    expect(b, "two reps in different shards").toBeDefined();
    const week = "2026-W20";
    const report = (userId: string, amount: bigint) => ({
      figures: [{ planId: plan.planId, userId, period: week, amount }],
      source: "chat" as const,
      origin: "shards",
    });
    await svc.db.transaction(async (tx1, sql1) => {
      await reportProgress(tx1, { ...report(a!, 5n), sql: sql1 });
      // The deferred trigger runs now instead of at commit: a's row and a's shard of the week's total stay locked
      // until this transaction ends, as they are while a commit is under way.
      await sql1.query("SET CONSTRAINTS progress_figure_keep IMMEDIATE");
      // Fails fast instead of hanging if b's commit has to wait for a's transaction.
      await svc.db.transaction(async (tx2, sql2) => {
        await sql2.query("SET LOCAL lock_timeout = '2s'");
        await reportProgress(tx2, { ...report(b!, 7n), sql: sql2 });
        // What its commit would do, run here so that a wait fails a statement (rolled back) rather than COMMIT.
        await sql2.query("SET CONSTRAINTS progress_figure_keep IMMEDIATE");
      });
      expect(await weekTotal(week)).toBe("7");
    });
    expect(await weekTotal(week)).toBe("12");
  });

  it("an import inserts its figures by period and by shard, the order its commit locks the period totals in", async () => {
    const shards = await shardsOfReps();
    // Given out of shard order within each week.
    const people = [...SMALL_PLAN_REPS].sort((x, y) => shards.get(y)! - shards.get(x)!);
    const weeks = ["2026-W22", "2026-W21"];
    await svc.db.prisma.$transaction((tx) =>
      reportProgress(tx, {
        figures: people.flatMap((userId, i) =>
          weeks.map((period) => ({
            planId: plan.planId,
            userId,
            period,
            amount: BigInt(i + 1),
            kind: "IMPORT" as const,
          })),
        ),
        source: "api",
        origin: "order",
      }),
    );
    const inserted = await svc.db.sql.query<{ period: string; shard: number }>(
      "SELECT period, progress_total_shard(user_id) AS shard FROM progress_entry WHERE origin = 'order' ORDER BY id",
    );
    const key = (r: { period: string; shard: number }) => `${r.period} ${String(r.shard).padStart(2, "0")}`;
    expect(inserted.map(key)).toEqual(inserted.map(key).sort());
    expect(new Set(inserted.map((r) => r.shard)).size).toBeGreaterThan(1);
  });

  it("imports in opposite orders beside single reports: every write lands, no deadlock, totals exact", async () => {
    const weeks = ["2026-W10", "2026-W11", "2026-W12", "2026-W13"];
    const people = [...SMALL_PLAN_REPS];
    const figure = (userId: string, period: string, amount: bigint, kind?: "IMPORT"): ProgressFigure => ({
      planId: plan.planId,
      userId,
      period,
      amount,
      ...(kind ? { kind } : {}),
    });
    const importOf = (round: number, reverse: boolean) => {
      const rows = people.flatMap((u) => weeks.map((w) => figure(u, w, BigInt(1000 * round + 1), "IMPORT")));
      return reverse ? rows.reverse() : rows;
    };
    for (let round = 1; round <= 6; round++) {
      const writes = [
        svc.db.prisma.$transaction((tx) =>
          reportProgress(tx, { figures: importOf(round, false), source: "api", origin: "a" }),
        ),
        svc.db.prisma.$transaction((tx) =>
          reportProgress(tx, { figures: importOf(round, true), source: "api", origin: "b" }),
        ),
        ...people.flatMap((u) =>
          [...weeks]
            .reverse()
            .map((w) =>
              svc.db.prisma.$transaction((tx) =>
                reportProgress(tx, { figures: [figure(u, w, BigInt(round))], source: "chat", origin: "c" }),
              ),
            ),
        ),
      ];
      const results = await Promise.allSettled(writes);
      const failed = results
        .filter((r) => r.status === "rejected")
        .map((r) => String((r as PromiseRejectedResult).reason));
      expect(failed).toEqual([]);
    }
    // The imports' figure (1000 × 6 + 1) is in force for everyone every week: IMPORT beats SELF_REPORT.
    const totals = await svc.db.prisma.$queryRawUnsafe<{ period: string; amount: string }[]>(
      `SELECT period, sum(amount)::text AS amount FROM progress_period_total
        WHERE plan_id = $1 AND period = ANY($2::text[]) GROUP BY period ORDER BY period`,
      plan.planId,
      weeks,
    );
    expect(totals).toEqual(weeks.map((period) => ({ period, amount: String(6001 * people.length) })));
  });
});
