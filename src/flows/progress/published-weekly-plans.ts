import type { AppDeps } from "../../app-deps.ts";
import type { Database } from "../../db/database.ts";
import { periodRange } from "../../domain/period-key.ts";
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

type WeeklyPlan = Awaited<ReturnType<typeof publishedWeeklyPlans>>[number];

/**
 * A weekly job's run: needs a DingTalk app to send as (without one it fails and is retried), does `perPlan` for
 * every published weekly plan of the week, and answers the counts summed over the plans (`zero` when there is
 * none), with how many plans.
 */
export async function eachWeeklyPlan<K extends string>(
  deps: Pick<AppDeps, "db" | "outbound">,
  period: string,
  zero: Record<K, number>,
  perPlan: (plan: WeeklyPlan) => Promise<Record<K, number>>,
): Promise<Record<K, number> & { plans: number }> {
  deps.outbound.assertConnected();
  const plans = await publishedWeeklyPlans(deps.db, period);
  const sums = { ...zero };
  for (const plan of plans) {
    const counts = await perPlan(plan);
    for (const k of Object.keys(zero) as K[]) sums[k] += counts[k];
  }
  return { plans: plans.length, ...sums };
}

/** Active people owning at least one live leaf target of a plan, sorted; `presentOn` as for `ownerLeaves`. */
export async function activeLeafOwners(db: Database, planId: string, presentOn?: readonly string[]): Promise<string[]> {
  const leaves = await ownerLeaves(db.prisma, planId, undefined, presentOn);
  return [...new Set(leaves.filter((l) => l.active).map((l) => l.userId))].sort();
}
