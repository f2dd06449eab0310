import type { AppDeps } from "../../app-deps.ts";
import type { Database } from "../../db/database.ts";
import { parsePeriodKey, periodRange } from "../../domain/period-key.ts";
import { eachPlanIsolated, PlanFailuresError } from "../../scheduler/plan-failures.ts";
import { ownerLeaves } from "./progress-queries.ts";

/**
 * Published plans of the period's cadence (a week's key serves WEEK plans, "2026-09" MONTH plans, "2026-Q3"
 * QUARTER plans) whose fiscal year overlaps the period (a W01 that starts in December counts).
 */
export async function publishedPlans(db: Database, period: string) {
  const { from, to } = periodRange(period);
  const plans = await db.prisma.plan.findMany({
    where: { status: "PUBLISHED", cadence: parsePeriodKey(period).cadence },
    orderBy: { createdAt: "asc" },
  });
  return plans.filter((p) => from <= `${p.fiscalYear}-12-31` && to >= `${p.fiscalYear}-01-01`);
}

type PublishedPlan = Awaited<ReturnType<typeof publishedPlans>>[number];

/**
 * A progress job's run for one period: needs a DingTalk app to send as (without one it fails and is retried),
 * does `perPlan` for every published plan of that period's cadence, and answers the counts summed over the
 * plans (`zero` when there is none), with how many plans. Plan by plan: one plan that fails (a bad time zone
 * stored before plans were validated, a data problem) is logged and named, the others go on, and the run then
 * ends FAILED with the counts of what was done and `failed` (see PlanFailuresError) — safe to run again.
 */
export async function eachPublishedPlan<K extends string>(
  deps: Pick<AppDeps, "db" | "outbound" | "log">,
  period: string,
  zero: Record<K, number>,
  perPlan: (plan: PublishedPlan) => Promise<Record<K, number>>,
): Promise<Record<K, number> & { plans: number }> {
  deps.outbound.assertConnected();
  const plans = await publishedPlans(deps.db, period);
  const sums = { ...zero };
  const { done, failed } = await eachPlanIsolated(plans, perPlan, (plan, err) =>
    deps.log.error({ err, planId: plan.id, period }, "scheduled job: this plan failed; the other plans go on"),
  );
  for (const { result } of done) for (const k of Object.keys(zero) as K[]) sums[k] += result[k];
  const result = { plans: plans.length, ...sums };
  if (failed.length > 0) throw new PlanFailuresError(failed, { ...result, failed });
  return result;
}

/** Active people owning at least one live leaf target of a plan, sorted; `presentOn` as for `ownerLeaves`. */
export async function activeLeafOwners(db: Database, planId: string, presentOn?: readonly string[]): Promise<string[]> {
  const leaves = await ownerLeaves(db.prisma, planId, undefined, presentOn);
  return [...new Set(leaves.filter((l) => l.active).map((l) => l.userId))].sort();
}
