import type { Database } from "../db/database.ts";
import type { Calendar } from "../domain/calendar.ts";
import { importOrg } from "../org/import-org.ts";
import { recordsFromJson, ZOrgImportRequest } from "../org/org-input.ts";
import { createPlan } from "../plans/create-plan.ts";
import { phasePlan } from "../plans/phase-plan.ts";
import type { TSplitChild, TSplitRequest } from "../plans/plan-input.ts";
import { splitTarget } from "../plans/split-target.ts";
import { DIRECTOR_ID, PRODUCT_LINES, REGIONS, referenceOrg } from "./reference-org.ts";

export const DEMO_PLAN_NAME = "2026年度销售目标";
const ACTOR = "seed:demo";

/** Product-line mix, channel mix (线上 moving from 40 % toward 50 %) and customer segments of the demo plan. */
const LINE_WEIGHTS = [35, 30, 20, 15];
const CHANNELS = [
  { key: "线上", weight: 45 },
  { key: "线下", weight: 55 },
];
const SEGMENTS = [
  { key: "大客户", weight: 60 },
  { key: "中小企业", weight: 40 },
];

/**
 * The reference company (docs/domain.md "Who uses it"): imports its org, then builds the 2026 plan of 1.8亿 — by region from
 * 2025 history with each region's growth, by product line, channel and customer segment, then by rep —
 * and phases every leaf by working days. Idempotent: returns the existing plan if it was seeded already.
 */
export async function seedDemo(db: Database, calendar?: Calendar): Promise<{ planId: string; created: boolean }> {
  // Two sandbox replicas on one PostgreSQL database start together: the first holds this lock while it seeds,
  // the second then finds the plan. The lock is a transaction's on a connection of its own, so the seeding's
  // queries (on other connections of the pool) go on meanwhile; PGlite has one connection and one process.
  if (db.kind === "postgres") {
    return db.sql.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock($1)", [DEMO_SEED_LOCK_KEY]);
      return seedUnlocked(db, calendar);
    });
  }
  return seedUnlocked(db, calendar);
}

/** Serialises demo seeding across processes (any constant of our own; the org import's is another). */
const DEMO_SEED_LOCK_KEY = 727_073_692;

async function seedUnlocked(db: Database, calendar?: Calendar): Promise<{ planId: string; created: boolean }> {
  const existing = await db.prisma.plan.findFirst({ where: { name: DEMO_PLAN_NAME } });
  if (existing) return { planId: existing.id, created: false };
  await importOrg({ db, records: recordsFromJson(ZOrgImportRequest.parse(referenceOrg())), mode: "merge" });
  const plan = await createPlan({
    db,
    actor: ACTOR,
    defaultTimezone: "Asia/Shanghai",
    input: {
      name: DEMO_PLAN_NAME,
      fiscalYear: 2026,
      metric: "REVENUE",
      total: 180_000_000n,
      ownerUserId: DIRECTOR_ID,
      cadence: "WEEK",
      missThreshold: 1,
      escalateAfter: 2,
      minOwners: 2,
      // A B2B hardware-and-services seller: 15万 per deal; 3 in 10 leads get a visit, half the visits a
      // proposal, 4 in 10 proposals are won.
      funnel: { avgDealSize: 150_000n, leadToVisit: 0.3, visitToProposal: 0.5, proposalToWin: 0.4 },
    },
  });
  const split = (
    parentTargetId: string,
    dimension: TSplitRequest["dimension"],
    method: TSplitRequest["method"],
    children: Partial<TSplitChild>[],
  ) =>
    splitTarget({
      db,
      planId: plan.id,
      actor: ACTOR,
      ...(calendar ? { calendar } : {}),
      request: {
        parentTargetId,
        dimension,
        method,
        children: children.map((c) => ({ coOwnerUserIds: [], locked: false, key: "", ...c })),
      },
    });
  const regions = await split(
    plan.rootTargetId,
    "REGION",
    "HISTORY",
    REGIONS.map((r) => ({
      key: r.deptId,
      lastYear: r.lastYear,
      growth: r.growth,
      ownerUserId: `m${r.deptId}`,
      coOwnerUserIds: [DIRECTOR_ID],
    })),
  );
  for (const region of regions) {
    const info = REGIONS.find((r) => r.deptId === region.key)!;
    const manager = `m${info.deptId}`;
    const reps = Array.from({ length: info.reps }, (_, i) => `r${info.deptId}${String(i + 1).padStart(3, "0")}`);
    const lines = await split(
      region.id,
      "PRODUCT_LINE",
      "WEIGHTS",
      PRODUCT_LINES.map((l, i) => ({
        key: l,
        weight: LINE_WEIGHTS[i],
        ownerUserId: manager,
        coOwnerUserIds: [`p${i + 1}`],
      })),
    );
    let node = 0;
    for (const line of lines) {
      const channels = await split(
        line.id,
        "CHANNEL",
        "WEIGHTS",
        CHANNELS.map((c) => ({ ...c, ownerUserId: manager })),
      );
      for (const channel of channels) {
        const segments = await split(
          channel.id,
          "CUSTOMER_SEGMENT",
          "WEIGHTS",
          SEGMENTS.map((s) => ({ ...s, ownerUserId: manager })),
        );
        for (const segment of segments) {
          // Reps are dealt round-robin over the region's 16 segment targets; a small region's reps own two.
          const mine = reps.filter((_, i) => i % 16 === node);
          const owners = mine.length > 0 ? mine : [reps[node % reps.length]!];
          await split(
            segment.id,
            "OWNER",
            "EQUAL",
            owners.map((userId) => ({ key: userId, coOwnerUserIds: [manager] })),
          );
          node++;
        }
      }
    }
  }
  await phasePlan({ db, planId: plan.id, profile: "WORKDAYS", actor: ACTOR, ...(calendar ? { calendar } : {}) });
  return { planId: plan.id, created: true };
}
