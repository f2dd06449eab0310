/*
 * Change approval routing (docs/domain.md "Change approval"): how many approver levels a target change needs,
 * and who they are. Pure: the flow reads the owner's manager chain and the plan owner at submission time.
 */
import { validationError } from "../lib/errors.ts";
import { toScaledWeight } from "./largest-remainder.ts";
import type { ManagerLink } from "./next-escalation-addressee.ts";

/** 1: the direct manager; 2: manager, then director; 3: manager, director, then the plan owner. */
export type ApprovalTier = 1 | 2 | 3;

/** The plan setting `approvalThresholds` when a plan has none: |Δ| ≤ 5 % → tier 1, ≤ 15 % → tier 2. */
export const DEFAULT_APPROVAL_THRESHOLDS: readonly [number, number] = [5, 15];

/**
 * The tier a change needs: |Δ| ≤ thresholds[0] % of the current amount → 1, ≤ thresholds[1] % → 2, above (or
 * any change of the plan total) → 3. Compared exactly: |Δ| × 100 ≤ threshold × current, in bigint, with the
 * threshold scaled to an integer, so 5 % of 1,000,000 is exactly 50,000 and 50,001 is above. A current amount of
 * 0 makes any change tier 3 (no percentage of nothing covers it).
 *
 * @throws AppError VALIDATION for bad thresholds, a negative or non-integer amount, or no change at all.
 */
export function approvalTier(a: {
  currentAmount: bigint;
  proposedAmount: bigint;
  changesPlanTotal: boolean;
  thresholds?: readonly number[];
}): ApprovalTier {
  const [low, high] = validThresholds(a.thresholds ?? DEFAULT_APPROVAL_THRESHOLDS);
  assertAmount(a.currentAmount, "currentAmount", "当前目标");
  assertAmount(a.proposedAmount, "proposedAmount", "申请的目标");
  if (a.proposedAmount === a.currentAmount) {
    throw validationError("申请的目标与当前目标相同，无需调整", [
      { field: "proposedAmount", message: "与当前目标相同" },
    ]);
  }
  if (a.changesPlanTotal) return 3;
  const delta = a.proposedAmount - a.currentAmount;
  // Both sides × WEIGHT_SCALE: |Δ| × 100 × scale ≤ (threshold × scale) × current.
  const lhs = (delta < 0n ? -delta : delta) * 100n * toScaledWeight(1);
  if (lhs <= toScaledWeight(low) * a.currentAmount) return 1;
  if (lhs <= toScaledWeight(high) * a.currentAmount) return 2;
  return 3;
}

function validThresholds(t: readonly number[]): [number, number] {
  const problem = (message: string) =>
    validationError(`审批阈值设置无效：${message}（应为两个递增的百分数，如 [5, 15]）`, [
      { field: "approvalThresholds", message },
    ]);
  if (!Array.isArray(t) || t.length !== 2) throw problem("必须恰好两个数");
  const [low, high] = t as [unknown, unknown];
  for (const v of [low, high]) {
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > 100) {
      throw problem(`${String(v)} 不在 (0, 100] 之内`);
    }
  }
  if ((low as number) >= (high as number))
    throw problem(`第一个阈值（${String(low)}）必须小于第二个（${String(high)}）`);
  return [low as number, high as number];
}

function assertAmount(v: bigint, field: string, name: string): void {
  if (typeof v !== "bigint" || v < 0n) {
    throw validationError(`${name}金额必须是非负整数，收到 ${String(v)}`, [{ field, message: "金额必须是非负整数" }]);
  }
}

export type ApproverRole = "MANAGER" | "DIRECTOR" | "PLAN_OWNER";

export interface ApprovalStep {
  /** 1 for the first approver, 2 for the next, … — the order in which they decide. */
  level: number;
  userId: string;
  /** PLAN_OWNER also where the plan owner stands in for a manager level because the chain ran out. */
  role: ApproverRole;
}

/** Why someone was passed over; shown on the card (「张三：已离职或停用」). */
export type SkipReason = "申请人本人" | "目标负责人本人" | "已离职或停用" | "人员不存在" | "已是前一审批人";

export interface SkippedApprover {
  /** null where the chain points at a missing person. */
  userId: string | null;
  reason: SkipReason;
  /** The level that was being filled when this person was passed over. */
  level: number;
}

export interface ApprovalRoute {
  steps: ApprovalStep[];
  skipped: SkippedApprover[];
  /**
   * False when the route falls short and the flow must refuse the request (never approve with fewer people
   * than the rule asks for): nobody eligible at all, or a level nobody could fill and the plan owner has not
   * consented either (see {@link approvalSteps}).
   */
  complete: boolean;
}

/**
 * The approvers for a tier, in order. Manager levels (1 → MANAGER, 2 → DIRECTOR) come from the owner's manager
 * chain, direct manager first; a person who is the requester, the owner themself (only in a chain that cycles),
 * inactive, missing, or already an earlier step is skipped to the next one up. Tier 3 ends with the plan owner.
 *
 * When the chain runs out before the manager levels are filled, the plan owner fills the next level (nobody
 * is above the plan owner, so the route ends there). The plan owner's level counts as covered when the plan
 * owner is already a step or is the requester (asking is consenting); then the route is complete with fewer
 * steps. It is incomplete when it has no step at all (never auto-approve) or a level is left that nobody can
 * fill, e.g. an inactive plan owner: the flow refuses and asks an admin to fix the directory or the plan.
 *
 * Never loops: the chain is walked once, front to back, and each person can be a step once.
 */
export function approvalSteps(a: {
  requesterId: string;
  ownerId: string;
  chain: readonly ManagerLink[];
  planOwner: { userId: string; active: boolean };
  tier: ApprovalTier;
}): ApprovalRoute {
  if (![1, 2, 3].includes(a.tier)) {
    throw validationError(`审批级数必须是 1、2 或 3，收到 ${String(a.tier)}`, [
      { field: "tier", message: "审批级数无效" },
    ]);
  }
  const steps: ApprovalStep[] = [];
  const skipped: SkippedApprover[] = [];
  const inSteps = (id: string) => steps.some((s) => s.userId === id);
  const reasonToSkip = (p: { userId: string; active: boolean }): SkipReason | null => {
    if (p.userId === a.requesterId) return "申请人本人";
    if (p.userId === a.ownerId) return "目标负责人本人";
    if (!p.active) return "已离职或停用";
    if (inSteps(p.userId)) return "已是前一审批人";
    return null;
  };
  const managerLevels = Math.min(a.tier, 2);
  let next = 0;
  while (steps.length < managerLevels && next < a.chain.length) {
    const link = a.chain[next++] ?? null;
    const level = steps.length + 1;
    if (link === null) {
      skipped.push({ userId: null, reason: "人员不存在", level });
      continue;
    }
    const reason = reasonToSkip(link);
    if (reason === null) steps.push({ level, userId: link.userId, role: level === 1 ? "MANAGER" : "DIRECTOR" });
    else skipped.push({ userId: link.userId, reason, level });
  }
  // The plan owner: the last level of tier 3, or the stand-in for a manager level the chain could not fill.
  if (steps.length < a.tier) {
    const reason = reasonToSkip(a.planOwner);
    if (reason === null) steps.push({ level: steps.length + 1, userId: a.planOwner.userId, role: "PLAN_OWNER" });
    else skipped.push({ userId: a.planOwner.userId, reason, level: steps.length + 1 });
  }
  const planOwnerConsents = inSteps(a.planOwner.userId) || a.planOwner.userId === a.requesterId;
  const complete = steps.length > 0 && (steps.length === a.tier || planOwnerConsents);
  return { steps, skipped, complete };
}
