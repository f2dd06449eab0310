import type { Tx } from "../../db/database.ts";
import { type PlanTargetChange, planTargetChange, type TreeNode } from "../../domain/plan-target-change.ts";
import type { RebalanceMode } from "../../domain/rebalance-change.ts";

/** What an approved change would do to one target, as stored with the request (amounts as exact strings). */
export interface Effect {
  /** null for a 待分配 reserve that does not exist yet (created on approval). */
  id: string | null;
  role: "TARGET" | "SIBLING" | "RESERVE" | "PARENT";
  label: string;
  /** The target's version when planned; 0 for a reserve still to be created. */
  version: number;
  from: string;
  to: string;
}

export interface PlannedChange {
  effects: Effect[];
  total: PlanTargetChange["total"];
  changesPlanTotal: boolean;
  /** The changed target's parent (unchanged unless the mode is PARENT), for the card's 上级 line. */
  parent: { id: string; label: string; amount: bigint } | null;
}

type NodeRow = {
  id: string;
  parent_id: string | null;
  label: string;
  amount: bigint;
  locked: boolean;
  reserve: boolean;
  version: number;
  split: boolean;
};

/**
 * Plans a change of `targetId` to `proposed` against the tree as it is now: the target's neighbourhood (its
 * ancestors and its parent's live children, in one query) through planTargetChange. With `lock`, those rows are
 * locked until the transaction ends, so what is planned is what gets written.
 *
 * @throws AppError VALIDATION when the change is impossible in that mode (planTargetChange).
 */
export async function planChange(
  tx: Tx,
  a: { planId: string; planTotal: bigint; targetId: string; proposed: bigint; mode: RebalanceMode; lock?: boolean },
): Promise<PlannedChange> {
  const rows = await tx.$queryRawUnsafe<NodeRow[]>(
    `WITH RECURSIVE up AS (
       SELECT t.id, t.parent_id FROM target t WHERE t.id = $1 AND t.plan_id = $2
       UNION ALL
       SELECT t.id, t.parent_id FROM target t JOIN up ON t.id = up.parent_id
     ), near AS (
       SELECT id FROM up
       UNION SELECT s.id FROM target s
        WHERE s.parent_id = (SELECT parent_id FROM target WHERE id = $1) AND s.state <> 'ARCHIVED'
     )
     SELECT t.id, t.parent_id, t.label, t.amount, t.locked, t.reserve, t.version,
            EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id AND c.state <> 'ARCHIVED') AS split
       FROM target t WHERE t.id IN (SELECT id FROM near) ORDER BY t.depth, t.key
       ${a.lock ? "FOR UPDATE OF t" : ""}`,
    a.targetId,
    a.planId,
  );
  const nodes: TreeNode[] = rows.map((r) => ({
    id: r.id,
    parentId: r.parent_id,
    label: r.label,
    amount: BigInt(r.amount),
    locked: r.locked,
    reserve: r.reserve,
    split: r.split,
  }));
  const planned = planTargetChange({
    nodes,
    targetId: a.targetId,
    proposed: a.proposed,
    mode: a.mode,
    planTotal: a.planTotal,
  });
  const byId = new Map(rows.map((r) => [r.id, r]));
  const target = byId.get(a.targetId);
  const parentRow = target?.parent_id ? byId.get(target.parent_id) : undefined;
  return {
    effects: planned.changes.map((c) => {
      const row = c.id ? byId.get(c.id) : undefined;
      return {
        id: c.id,
        role: c.role,
        label: row?.label ?? "待分配",
        version: row?.version ?? 0,
        from: c.from.toString(),
        to: c.to.toString(),
      };
    }),
    total: planned.total,
    changesPlanTotal: planned.changesPlanTotal,
    parent: parentRow ? { id: parentRow.id, label: parentRow.label, amount: BigInt(parentRow.amount) } : null,
  };
}

/** The effects stored with a request (the column is written only by submitChangeRequest). */
export function storedEffects(json: unknown): Effect[] {
  return json as Effect[];
}

/** Whether two plans of the same change touch the same targets, at the same versions, with the same amounts. */
export function sameEffects(a: readonly Effect[], b: readonly Effect[]): boolean {
  const key = (e: Effect) => `${e.role}:${e.id}:${e.version}:${e.from}:${e.to}`;
  return a.length === b.length && a.map(key).sort().join("|") === b.map(key).sort().join("|");
}
