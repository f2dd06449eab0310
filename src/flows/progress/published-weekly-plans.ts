import type { Database } from "../../db/database.ts";
import { periodRange } from "../../domain/calendar.ts";
import { ownerLeaves } from "./progress-queries.ts";

/** Published weekly plans whose fiscal year overlaps the week `period` (a W01 that starts in December counts). */
export async function publishedWeeklyPlans(db: Database, period: string) {
  const { from, to } = periodRange(period);
  const plans = await db.prisma.plan.findMany({
    where: { status: "PUBLISHED", cadence: "WEEK" },
    orderBy: { createdAt: "asc" },
  });
  return plans.filter((p) => from <= `${p.fiscalYear}-12-31` && to >= `${p.fiscalYear}-01-01`);
}

/** Active people owning at least one live leaf target of a plan, sorted. */
export async function activeLeafOwners(db: Database, planId: string): Promise<string[]> {
  const leaves = await ownerLeaves(db.prisma, planId);
  return [...new Set(leaves.filter((l) => l.active).map((l) => l.userId))].sort();
}
