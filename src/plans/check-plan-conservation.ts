import { type Tx, txSql } from "../db/database.ts";
import { AppError } from "../lib/errors.ts";

export interface PlanConservationViolation {
  kind: "ROOT" | "CHILDREN" | "MONTHS";
  targetId: string;
  label: string;
  expected: string;
  actual: string;
  /** MONTHS only: how many month amounts the target has (12 when phased, 0 when not); null for the other kinds. */
  months: number | null;
}

/** Parents (matched by `scope` on `p`) whose amount differs from the sum of their active children. */
const childrenSql = (scope: string) =>
  `SELECT 'CHILDREN' AS kind, p.id AS "targetId", p.label, p.amount::text AS expected, sum(c.amount)::text AS actual,
          NULL::int AS months
     FROM target p JOIN target c ON c.parent_id = p.id AND c.state <> 'ARCHIVED'
    WHERE p.plan_id = $1 AND p.state <> 'ARCHIVED' AND ${scope}
    GROUP BY p.id, p.label, p.amount HAVING p.amount <> sum(c.amount)`;

/**
 * Targets (matched by `scope` on `t`) whose months are not 12 amounts summing to the amount: any target that has
 * months, and every leaf of a phased plan — a leaf left without months there is a hole, not "not yet phased"
 * (before the plan is phased, readiness reports unphased leaves as NOT_PHASED instead). A 待分配 reserve has no
 * months: it is nobody's target. A month array always holds 12 amounts, none NULL (the table's CHECK, migration
 * 20261211010000_months_as_arrays); their count is still compared so that the check does not rest on it.
 */
const monthsSql = (scope: string) =>
  `SELECT 'MONTHS', t.id, t.label, t.amount::text, coalesce(m.sum, 0)::text, coalesce(cardinality(a.amounts), 0)
     FROM target t JOIN plan pl ON pl.id = t.plan_id LEFT JOIN target_month_amounts a ON a.target_id = t.id
     LEFT JOIN LATERAL (SELECT sum(x) AS sum FROM unnest(a.amounts) AS x) m ON TRUE
    WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED' AND ${scope}
      AND (a.target_id IS NOT NULL
           OR (pl.phasing IS NOT NULL AND NOT t.reserve
               AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id AND c.state <> 'ARCHIVED')))
      AND (a.target_id IS NULL OR cardinality(a.amounts) <> 12 OR t.amount <> m.sum)`;

const WHOLE_PLAN = `SELECT 'ROOT' AS kind, t.id AS "targetId", t.label, p.total::text AS expected, t.amount::text AS actual,
          NULL::int AS months
     FROM target t JOIN plan p ON p.id = t.plan_id
    WHERE t.plan_id = $1 AND t.parent_id IS NULL AND t.amount <> p.total
   UNION ALL ${childrenSql("TRUE")}
   UNION ALL ${monthsSql("TRUE")}`;

/** A split touches one parent: its children's sum and its children's months, not the rest of the plan. */
const LOCAL = `${childrenSql("p.id = ANY($2::text[])")} UNION ALL ${monthsSql("t.parent_id = ANY($2::text[])")}`;

/**
 * The conservation invariant, checked in the database with set-based queries (the one check: writes, readiness
 * and publishing all use it): the root equals the plan total, every split parent equals the sum of its active
 * children, and every phased leaf has 12 months summing to its amount.
 */
export async function findConservationViolations(
  tx: Tx,
  planId: string,
  /** Only check these parents (and the months of their children): a split touches one parent, not the plan. */
  parentIds?: string[],
): Promise<PlanConservationViolation[]> {
  // Raw on the transaction's connection (txSql): every split runs this, and Prisma's raw path costs Node CPU.
  if (parentIds) return txSql(tx).query<PlanConservationViolation>(LOCAL, [planId, parentIds]);
  return txSql(tx).query<PlanConservationViolation>(WHOLE_PLAN, [planId]);
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
