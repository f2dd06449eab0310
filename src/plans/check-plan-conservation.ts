import type { Tx } from "../db/database.ts";
import { AppError } from "../lib/errors.ts";

export interface PlanConservationViolation {
  kind: "ROOT" | "CHILDREN" | "MONTHS";
  targetId: string;
  label: string;
  expected: string;
  actual: string;
}

/**
 * The conservation invariant, checked in the database with set-based queries: the root equals the plan total,
 * every split parent equals the sum of its active children, and every phased leaf's months sum to its amount.
 */
export async function findConservationViolations(
  tx: Tx,
  planId: string,
  /** Only check these parents (and the months of their children): a split touches one parent, not the plan. */
  parentIds?: string[],
): Promise<PlanConservationViolation[]> {
  if (parentIds) return findLocalViolations(tx, planId, parentIds);
  return tx.$queryRawUnsafe<PlanConservationViolation[]>(
    `SELECT 'ROOT' AS kind, t.id AS "targetId", t.label, p.total::text AS expected, t.amount::text AS actual
       FROM target t JOIN plan p ON p.id = t.plan_id
      WHERE t.plan_id = $1 AND t.parent_id IS NULL AND t.amount <> p.total
     UNION ALL
     SELECT 'CHILDREN', p.id, p.label, p.amount::text, sum(c.amount)::text
       FROM target p JOIN target c ON c.parent_id = p.id AND c.state <> 'ARCHIVED'
      WHERE p.plan_id = $1 AND p.state <> 'ARCHIVED'
      GROUP BY p.id, p.label, p.amount HAVING p.amount <> sum(c.amount)
     UNION ALL
     SELECT 'MONTHS', t.id, t.label, t.amount::text, sum(m.amount)::text
       FROM target t JOIN target_month m ON m.target_id = t.id
      WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED'
      GROUP BY t.id, t.label, t.amount HAVING t.amount <> sum(m.amount)`,
    planId,
  );
}

function findLocalViolations(tx: Tx, planId: string, parentIds: string[]): Promise<PlanConservationViolation[]> {
  return tx.$queryRawUnsafe<PlanConservationViolation[]>(
    `SELECT 'CHILDREN' AS kind, p.id AS "targetId", p.label, p.amount::text AS expected, sum(c.amount)::text AS actual
       FROM target p JOIN target c ON c.parent_id = p.id AND c.state <> 'ARCHIVED'
      WHERE p.id = ANY($2::text[]) AND p.plan_id = $1
      GROUP BY p.id, p.label, p.amount HAVING p.amount <> sum(c.amount)
     UNION ALL
     SELECT 'MONTHS', t.id, t.label, t.amount::text, sum(m.amount)::text
       FROM target t JOIN target_month m ON m.target_id = t.id
      WHERE t.parent_id = ANY($2::text[]) AND t.plan_id = $1 AND t.state <> 'ARCHIVED'
      GROUP BY t.id, t.label, t.amount HAVING t.amount <> sum(m.amount)`,
    planId,
    parentIds,
  );
}

/**
 * Inside a write transaction: throws (and so rolls the write back) if the plan — or, with `parentIds`, the part
 * of it the write touched — is no longer conserved.
 */
export async function assertPlanConserved(tx: Tx, planId: string, parentIds?: string[]): Promise<void> {
  const violations = await findConservationViolations(tx, planId, parentIds);
  if (violations.length > 0) {
    throw new AppError("CONFLICT", "写入会破坏守恒（子目标之和必须等于上级目标），已取消", { details: violations });
  }
}
