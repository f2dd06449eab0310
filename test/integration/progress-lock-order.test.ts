import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProgressFigure, reportProgress } from "../../src/flows/progress/report-progress.ts";
import { publishedSmallPlan, SMALL_PLAN_REPS, type SmallPlan } from "../helpers/small-plan.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * The progress_entry trigger (migration 20261208010000_digest_kept) locks a person's kept-figures row, then the
 * period's plan total. Imports (many figures, several people and weeks) racing each other and single chat-like
 * reports must never deadlock: reportProgress locks all of an import's people first, in one order, then writes
 * by period. PostgreSQL only: PGlite has one connection, so nothing there runs at once.
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

describe.runIf(onPostgres)("progress writes racing on PostgreSQL", () => {
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
      `SELECT period, amount::text AS amount FROM progress_period_total WHERE plan_id = $1 ORDER BY period`,
      plan.planId,
    );
    expect(totals).toEqual(weeks.map((period) => ({ period, amount: String(6001 * people.length) })));
  });
});
