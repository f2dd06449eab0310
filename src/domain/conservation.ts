import { validationError } from "../lib/errors.ts";
import { groupDigits } from "./format-amount.ts";

/** A target node as the conservation check sees it: whole yuan (or counts) and its place in the tree. */
export interface ConservationNode {
  id: string;
  parentId: string | null;
  amount: bigint;
}

/** A parent whose amount differs from the sum of its children. */
export interface ConservationViolation {
  parentId: string;
  parentAmount: bigint;
  childrenSum: bigint;
}

/**
 * Checks the conservation invariant (DESIGN.md §2): every node that has children equals the sum of its
 * children. Returns one violation per offending parent, in input order; empty when the tree is conserved.
 * A node whose `parentId` is not in the list counts as a root, so a subtree can be checked on its own.
 *
 * @throws AppError VALIDATION when two nodes share an id (the tree would be ambiguous).
 */
export function checkConservation(nodes: ConservationNode[]): ConservationViolation[] {
  const byId = new Map<string, ConservationNode>();
  for (const node of nodes) {
    if (byId.has(node.id)) {
      throw validationError(`目标 ${node.id} 在列表中出现了多次`, [{ field: "id", message: `重复的目标 ${node.id}` }]);
    }
    byId.set(node.id, node);
  }
  const childrenSums = new Map<string, bigint>();
  for (const node of nodes) {
    if (node.parentId === null || !byId.has(node.parentId)) continue;
    childrenSums.set(node.parentId, (childrenSums.get(node.parentId) ?? 0n) + node.amount);
  }
  return nodes.flatMap((node) => {
    const childrenSum = childrenSums.get(node.id);
    if (childrenSum === undefined || childrenSum === node.amount) return [];
    return [{ parentId: node.id, parentAmount: node.amount, childrenSum }];
  });
}

/**
 * Throws when the tree is not conserved — the guard run on every write. The message names each parent with
 * both sums, e.g. "目标 华东 金额 36,000,000 与下级合计 35,999,999 不一致".
 */
export function assertConservation(nodes: ConservationNode[]): void {
  const violations = checkConservation(nodes);
  if (violations.length === 0) return;
  const problems = violations.map((v) => ({
    field: v.parentId,
    message: `目标 ${v.parentId} 金额 ${groupDigits(v.parentAmount)} 与下级合计 ${groupDigits(v.childrenSum)} 不一致`,
  }));
  throw validationError(problems.map((p) => p.message).join("；"), problems);
}

/** What is wrong with a leaf's monthly phasing. */
export interface MonthlyConservationViolation {
  reason: "MONTH_COUNT" | "NEGATIVE_MONTH" | "SUM";
  annual: bigint;
  monthsSum: bigint;
  monthCount: number;
}

/**
 * Checks that a leaf's months are exactly 12 non-negative amounts summing to its annual amount; returns the
 * violation, or null when the phasing is conserved.
 */
export function checkMonthlyConservation(annual: bigint, months: bigint[]): MonthlyConservationViolation | null {
  const monthsSum = months.reduce((sum, m) => sum + m, 0n);
  const base = { annual, monthsSum, monthCount: months.length };
  if (months.length !== 12) return { reason: "MONTH_COUNT", ...base };
  if (months.some((m) => m < 0n)) return { reason: "NEGATIVE_MONTH", ...base };
  if (monthsSum !== annual) return { reason: "SUM", ...base };
  return null;
}
