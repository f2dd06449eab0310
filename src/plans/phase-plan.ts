import { type Database, type Tx, txSql } from "../db/database.ts";
import { type Calendar, defaultCalendar } from "../domain/calendar.ts";
import { phaseAnnual } from "../domain/phasing.ts";
import type { Plan } from "../generated/prisma/client.ts";
import { chunks } from "../lib/chunks.ts";
import { AppError } from "../lib/errors.ts";
import { assertPlanConserved } from "./check-plan-conservation.ts";
import { liveLeafSql } from "./leaf-targets.ts";
import { type LedgerEntry, writeLedger } from "./ledger.ts";
import { planNotFound } from "./plan-errors.ts";
import type { TPhasingProfile } from "./plan-input.ts";

export interface PhasePlanOptions {
  db: Database;
  planId: string;
  profile: TPhasingProfile;
  actor: string;
  calendar?: Calendar;
}

/** Sets the plan's phasing profile and phases every leaf target into 12 months (exactly summing to it). */
export async function phasePlan({ db, planId, profile, actor, calendar = defaultCalendar }: PhasePlanOptions) {
  return db.prisma.$transaction(
    async (tx) => {
      const plan = await tx.plan.findUnique({ where: { id: planId } });
      if (!plan) throw planNotFound(planId);
      if (plan.status !== "DRAFT") {
        throw new AppError("CONFLICT", "计划已发布，不能整体重新分月；个别目标请走目标调整");
      }
      const updated = await tx.plan.update({ where: { id: planId }, data: { phasing: profile } });
      const result = await phaseTargets(tx, { plan: { ...updated, phasing: profile }, actor, calendar });
      await assertPlanConserved(tx, planId);
      return { profile, ...result, coverage: calendar.yearCoverage(plan.fiscalYear) };
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
}

/** Leaves per month-array INSERT (one row of 12 amounts each): 10,000 leaves are 5 statements. */
export const PHASE_CHUNK_LEAVES = 2_000;

/** What phasing reads of a plan (a caller may pass the whole plan). */
export type PhasedPlan = Pick<Plan, "id" | "fiscalYear" | "phasing"> & Partial<Plan>;

export interface PhaseTargetsArgs {
  plan: PhasedPlan & { phasing: TPhasingProfile };
  /** Only these targets (if they are leaves); all leaves of the plan when omitted. */
  targetIds?: string[];
  actor: string;
  calendar: Calendar;
  /**
   * Whether re-phasing a leaf makes a new version of it (true: a phasing-only change). A caller that has just
   * made the new version itself (a split or an import changing the amount) passes false.
   */
  bumpVersion?: boolean;
}

/**
 * Writes the months of leaf targets from the plan's profile. Only leaves whose months actually change are
 * rewritten and put in the ledger; re-phasing a leaf that had months makes a new version of it.
 */
export async function phaseTargets(tx: Tx, { plan, targetIds, actor, calendar, bumpVersion = true }: PhaseTargetsArgs) {
  const leaves = await txSql(tx).query<{ id: string; amount: bigint; version: number; months: string[] | null }>(
    `SELECT t.id, t.amount, t.version, a.amounts::text[] AS months
       FROM target t LEFT JOIN target_month_amounts a ON a.target_id = t.id
      WHERE t.plan_id = $1 AND ($2::text[] IS NULL OR t.id = ANY($2::text[])) AND ${liveLeafSql("t")}`,
    [plan.id, targetIds ?? null],
  );
  const cache = new Map<bigint, bigint[]>(); // many leaves share an amount (EQUAL splits): phase each once
  const changed: { id: string; months: bigint[]; version: number; old: string[] | null; bump: boolean }[] = [];
  for (const leaf of leaves) {
    const amount = BigInt(leaf.amount);
    let months = cache.get(amount);
    if (!months) {
      months = phaseAnnual(amount, plan.fiscalYear, plan.phasing, calendar);
      cache.set(amount, months);
    }
    const next = months.map(String);
    if (leaf.months && leaf.months.join() === next.join()) continue;
    const bump = bumpVersion && leaf.months !== null;
    changed.push({ id: leaf.id, months, version: bump ? leaf.version + 1 : leaf.version, old: leaf.months, bump });
  }
  if (changed.length === 0) return { leaves: leaves.length, changed: 0 };
  // One row per leaf: its id and its 12 amounts as one array literal ("{1,2,…}"), cast in SQL. Slicing the 12 out
  // of one flat int8[] parameter instead cost ~50 ms per 2,000 leaves against ~12 ms for the casts (psql, this
  // machine). A leaf re-phased gets its row replaced. In chunks of leaves (see lib/chunks.ts).
  for (const part of chunks(changed, PHASE_CHUNK_LEAVES)) {
    await txSql(tx).query(
      `INSERT INTO target_month_amounts (target_id, amounts)
       SELECT id, amounts::int8[] FROM unnest($1::text[], $2::text[]) AS x(id, amounts)
       ON CONFLICT (target_id) DO UPDATE SET amounts = EXCLUDED.amounts`,
      [part.map((c) => c.id), part.map((c) => `{${c.months.join(",")}}`)],
    );
  }
  const bumped = changed.filter((c) => c.bump);
  if (bumped.length > 0) {
    await txSql(tx).query("UPDATE target SET version = version + 1, updated_at = now() WHERE id = ANY($1::text[])", [
      bumped.map((c) => c.id),
    ]);
  }
  const entries: LedgerEntry[] = changed.map((c) => ({
    planId: plan.id,
    targetId: c.id,
    version: c.version,
    kind: "PHASING",
    actor,
    reason: `分月：${describeProfile(plan.phasing)}`,
    changes: { months: [c.old, c.months.map(String)] },
  }));
  await writeLedger(tx, entries);
  return { leaves: leaves.length, changed: changed.length };
}

/**
 * After a split or an import has made new versions of some leaves: phases them with the plan's profile, if
 * the plan has been phased at all, without another version bump.
 */
export async function rephaseIfPhased(
  tx: Tx,
  a: { plan: PhasedPlan; targetIds: string[]; actor: string; calendar: Calendar },
): Promise<void> {
  if (!a.plan.phasing || a.targetIds.length === 0) return;
  const plan = { ...a.plan, phasing: a.plan.phasing as TPhasingProfile };
  await phaseTargets(tx, { plan, targetIds: a.targetIds, actor: a.actor, calendar: a.calendar, bumpVersion: false });
}

export function describeProfile(profile: TPhasingProfile): string {
  if (profile === "WORKDAYS") return "按工作日";
  if (profile === "EQUAL") return "平均";
  return "按月度权重";
}
