/*
 * An approved target change over the whole tree (docs/domain.md "Change approval"): rebalanceChange decides
 * one parent's children; this walks the tree around it — which children may absorb the difference, and, in
 * PARENT mode, every ancestor up to the root and the plan total. Pure, so a property test can check that
 * conservation holds at every level.
 */
import { validationError } from "../lib/errors.ts";
import { type AmountChange, type RebalanceMode, rebalanceChange } from "./rebalance-change.ts";

export interface TreeNode {
  id: string;
  parentId: string | null;
  label: string;
  amount: bigint;
  locked: boolean;
  /** The parent's 待分配 child: nobody's target, it holds what changes give back. */
  reserve: boolean;
  /**
   * Whether it has live children, for a caller that passes only the neighbourhood of the target (its parent's
   * children and its ancestors) rather than the whole tree; children present in `nodes` count as well.
   */
  split?: boolean;
}

export interface PlanTargetChange {
  /** The changed target first, then the siblings, the reserve, or the ancestors (nearest first) that change. */
  changes: AmountChange[];
  /** The plan total before and after, when the change reaches it (PARENT mode, or a plan of one target). */
  total: { from: bigint; to: bigint } | null;
  /** Whether this is a change of the plan total: the plan owner must approve it. */
  changesPlanTotal: boolean;
}

/**
 * The new amounts of every node an approved change touches, given the live (not archived) nodes of the plan.
 * The target must be a leaf that is not a reserve; in `SIBLINGS` mode only siblings that are leaves and not
 * locked give or take (a split sibling's children would no longer sum to it).
 *
 * @throws AppError VALIDATION as rebalanceChange does, and for a target that is not a leaf of the tree.
 */
export function planTargetChange(a: {
  nodes: readonly TreeNode[];
  targetId: string;
  proposed: bigint;
  mode: RebalanceMode;
  planTotal: bigint;
}): PlanTargetChange {
  const byId = new Map(a.nodes.map((n) => [n.id, n]));
  const children = new Map<string, TreeNode[]>();
  for (const n of a.nodes) if (n.parentId) children.set(n.parentId, [...(children.get(n.parentId) ?? []), n]);
  const target = byId.get(a.targetId);
  if (!target || target.reserve) {
    throw validationError("只能调整具体负责人的目标", [{ field: "targetId", message: "不是可调整的目标" }]);
  }
  const isSplit = (n: TreeNode) => n.split === true || (children.get(n.id) ?? []).length > 0;
  if (isSplit(target)) {
    throw validationError(`目标“${target.label}”已拆分到下级，请对具体的下级目标申请调整`, [
      { field: "targetId", message: "目标已拆分" },
    ]);
  }
  const delta = a.proposed - target.amount;
  const parent = target.parentId ? byId.get(target.parentId) : undefined;
  if (!parent) {
    // A plan of one target: the target is the plan total.
    const changes = rebalanceChange({
      target: { id: target.id, current: target.amount, proposed: a.proposed },
      parent: { id: target.id, amount: target.amount },
      siblings: [],
      reserve: null,
      mode: "PARENT",
    }).slice(0, 1);
    return { changes, total: { from: a.planTotal, to: a.planTotal + delta }, changesPlanTotal: true };
  }
  const others = (children.get(parent.id) ?? []).filter((n) => n.id !== target.id);
  const reserve = others.find((n) => n.reserve) ?? null;
  const siblings = others
    .filter((n) => !n.reserve)
    .map((n) => ({
      id: n.id,
      label: n.label,
      amount: n.amount,
      locked: n.locked || isSplit(n),
    }));
  const changes = rebalanceChange({
    target: { id: target.id, current: target.amount, proposed: a.proposed },
    parent: { id: parent.id, amount: parent.amount },
    siblings,
    reserve: reserve ? { id: reserve.id, amount: reserve.amount } : null,
    mode: a.mode,
  });
  if (a.mode !== "PARENT") return { changes, total: null, changesPlanTotal: false };
  // PARENT: every ancestor changes by Δ up to the root, and the plan total with it.
  const ancestors: AmountChange[] = [];
  for (let n: TreeNode | undefined = parent; n; n = n.parentId ? byId.get(n.parentId) : undefined) {
    ancestors.push({ role: "PARENT", id: n.id, from: n.amount, to: n.amount + delta });
  }
  const negative = ancestors.find((c) => c.to < 0n);
  if (negative) {
    throw validationError(`上级目标“${byId.get(negative.id ?? "")?.label}”将变为负数`, [
      { field: "rebalance", message: "上级目标将变为负数" },
    ]);
  }
  return {
    changes: [changes[0]!, ...ancestors],
    total: { from: a.planTotal, to: a.planTotal + delta },
    changesPlanTotal: true,
  };
}
