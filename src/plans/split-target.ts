import type { Database, SqlRunner, Tx } from "../db/database.ts";
import { type Calendar, defaultCalendar } from "../domain/calendar.ts";
import { splitAmount } from "../domain/split-amount.ts";
import { AppError } from "../lib/errors.ts";
import { assertPlanConserved } from "./check-plan-conservation.ts";
import { type ChildChanges, childChanges, type ExistingChild, type LockedParent } from "./child-changes.ts";
import { insertSplitRows } from "./insert-split-rows.ts";
import { replaceCoOwners } from "./people-changes.ts";
import { type PhasedPlan, rephaseIfPhased } from "./phase-plan.ts";
import { planNotFound, targetNotFound } from "./plan-errors.ts";
import type { TSplitRequest } from "./plan-input.ts";
import { resolveChildren } from "./resolve-children.ts";

const DIMENSION_ZH = {
  REGION: "区域",
  PRODUCT_LINE: "产品线",
  CHANNEL: "渠道",
  CUSTOMER_SEGMENT: "客户类型",
  OWNER: "负责人",
};

/** A child as the split answers it (the whole tree, with months, is GET /api/plans/:id/targets). */
export interface SplitChildView {
  id: string;
  key: string;
  label: string;
  dimension: string;
  amount: bigint;
  version: number;
  locked: boolean;
  ownerUserId: string | null;
  coOwnerUserIds: string[];
}

export interface SplitTargetOptions {
  db: Database;
  planId: string;
  request: TSplitRequest;
  actor: string;
  calendar?: Calendar;
}

/**
 * Splits a target along one dimension (docs/domain.md "Targets and decomposition"). Re-running a split of the same dimension updates the
 * children in place by key — new versions for those that change, archived for keys no longer given — as
 * long as none of them has been split further. Everything happens in one transaction that ends with the
 * conservation check, and every change is in the ledger.
 */
export async function splitTarget({ db, planId, request, actor, calendar = defaultCalendar }: SplitTargetOptions) {
  return db.transaction(
    async (tx, sql) => {
      const { plan, parent } = await lockParent(sql, planId, request.parentTargetId);
      if (!plan) throw planNotFound(planId);
      if (plan.status === "CLOSED") throw new AppError("CONFLICT", "计划已关闭，不能再拆分");
      if (!parent) throw targetNotFound(request.parentTargetId);
      // Read after the lock (its own statement, so its own snapshot): a split of the same parent that committed
      // while this one waited for the lock has its children seen here.
      const { existing, splitFurther } = await existingChildren(sql, parent.id);
      checkSplittable(parent, splitFurther, request);
      const resolved = await resolveChildren(tx, request);
      const amounts = splitAmount({ total: parent.amount, method: request.method, children: request.children });
      const ids = await writeChildren(tx, childChanges({ parent, existing, request, resolved, amounts, actor }));
      // Record how the parent is split, and drop its months: months live on leaves only.
      await sql.query(
        `WITH gone AS (DELETE FROM target_month_amounts WHERE target_id = $1)
         UPDATE target SET split_dimension = $2::"Dimension", split_method = $3::"SplitMethod", updated_at = now() WHERE id = $1`,
        [parent.id, request.dimension, request.method],
      );
      await rephaseIfPhased(tx, { plan, targetIds: ids, actor, calendar });
      await assertPlanConserved(tx, planId, [parent.id]);
      return sql.query<SplitChildView>(
        `SELECT t.id, t.key, t.label, t.dimension::text, t.amount, t.version, t.locked, t.owner_user_id AS "ownerUserId",
                coalesce((SELECT array_agg(c.user_id ORDER BY c.user_id) FROM target_co_owner c WHERE c.target_id = t.id), '{}') AS "coOwnerUserIds"
           FROM target t WHERE t.parent_id = $1 AND t.state <> 'ARCHIVED' ORDER BY t.key`,
        [parent.id],
      );
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}

/**
 * The plan, and the parent read and locked (FOR UPDATE) so that two splits of the same target cannot interleave:
 * one statement (no row: no such plan; no parent columns: no such live target in it). Raw SQL on the
 * transaction's connection, not Prisma's findUnique: bench:decompose makes 66 splits, and each Prisma query costs
 * Node CPU in its query compiler.
 */
async function lockParent(
  sql: SqlRunner,
  planId: string,
  parentTargetId: string,
): Promise<{ plan?: PhasedPlan & { status: string }; parent?: LockedParent }> {
  const [row] = await sql.query<PhasedPlan & { status: string; parent: LockedParent["id"] | null } & LockedParentRow>(
    `WITH parent AS (
       SELECT id, label, depth, amount, state::text AS state, split_dimension::text AS split_dimension
         FROM target WHERE id = $2 AND plan_id = $1 AND state <> 'ARCHIVED' FOR UPDATE)
     SELECT pl.id, pl.status::text AS status, pl.fiscal_year AS "fiscalYear", pl.phasing,
            p.id AS parent, p.label AS "parentLabel", p.depth AS "parentDepth", p.amount AS "parentAmount",
            p.state AS "parentState", p.split_dimension AS "parentSplitDimension"
       FROM plan pl LEFT JOIN parent p ON TRUE WHERE pl.id = $1`,
    [planId, parentTargetId],
  );
  if (!row) return {};
  const { parent, parentLabel, parentDepth, parentAmount, parentState, parentSplitDimension, ...plan } = row;
  if (parent === null) return { plan };
  return {
    plan,
    parent: {
      id: parent,
      planId,
      label: parentLabel,
      depth: parentDepth,
      amount: parentAmount,
      state: parentState,
      splitDimension: parentSplitDimension,
    },
  };
}

/** The parent's columns as {@link lockParent}'s statement names them. */
interface LockedParentRow {
  parentLabel: LockedParent["label"];
  parentDepth: LockedParent["depth"];
  parentAmount: LockedParent["amount"];
  parentState: LockedParent["state"];
  parentSplitDimension: LockedParent["splitDimension"];
}

/**
 * The parent's children (archived too: a key given again brings one back), and whether any live one has been
 * split further (then the parent cannot be re-split).
 */
async function existingChildren(
  sql: SqlRunner,
  parentId: string,
): Promise<{ existing: ExistingChild[]; splitFurther: boolean }> {
  const rows = await sql.query<Omit<ExistingChild, "coOwners"> & { coOwnerUserIds: string[]; splitFurther: boolean }>(
    `SELECT t.id, t.key, t.label, t.amount, t.version, t.state::text AS state, t.owner_user_id AS "ownerUserId",
            coalesce((SELECT array_agg(c.user_id) FROM target_co_owner c WHERE c.target_id = t.id), '{}') AS "coOwnerUserIds",
            t.state <> 'ARCHIVED'
              AND EXISTS (SELECT 1 FROM target g WHERE g.parent_id = t.id AND g.state <> 'ARCHIVED') AS "splitFurther"
       FROM target t WHERE t.parent_id = $1`,
    [parentId],
  );
  return {
    existing: rows.map(({ coOwnerUserIds, splitFurther: _, ...c }) => ({
      ...c,
      coOwners: coOwnerUserIds.map((userId) => ({ userId })),
    })),
    splitFurther: rows.some((r) => r.splitFurther),
  };
}

function checkSplittable(parent: LockedParent, splitFurther: boolean, req: TSplitRequest): void {
  if (parent.state === "PUBLISHED") {
    throw new AppError("CONFLICT", `目标“${parent.label}”已发布，不能直接拆分或修改，请发起目标调整申请`);
  }
  if (parent.splitDimension && parent.splitDimension !== req.dimension) {
    throw new AppError(
      "CONFLICT",
      `目标“${parent.label}”已按${DIMENSION_ZH[parent.splitDimension]}拆分，不能再按${DIMENSION_ZH[req.dimension]}拆分；请在子目标上继续拆分`,
    );
  }
  if (splitFurther) {
    throw new AppError("CONFLICT", `目标“${parent.label}”的子目标已继续拆分，不能重新拆分；请修改具体的子目标`);
  }
}

/**
 * Applies a split's child changes: new versions first, then the new children in bulk with every ledger entry of
 * the split (in childChanges' order), then the archived.
 */
async function writeChildren(tx: Tx, c: ChildChanges): Promise<string[]> {
  for (const u of c.updates) {
    await tx.target.update({ where: { id: u.id }, data: u.data });
    await replaceCoOwners(tx, u.id, u.coOwnerUserIds);
  }
  // New children are written in bulk (a split may have thousands, e.g. every rep of a region).
  await insertSplitRows(tx, c.creates, c.coOwners, c.ledger);
  for (const gone of c.archives) {
    await tx.target.update({ where: { id: gone.id }, data: { state: "ARCHIVED", version: gone.version } });
    await tx.targetMonthAmounts.deleteMany({ where: { targetId: gone.id } });
  }
  return c.touched;
}
