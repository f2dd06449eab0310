import { approvalCardStale, approvalCardWithdrawn } from "../../../cards/approval.ts";
import type { Tx } from "../../db/database.ts";
import { AppError } from "../../lib/errors.ts";
import { stepCardKey } from "./approval-card-id.ts";
import { closeStepTodo } from "./approval-todo.ts";
import { type PlannedChange, planChange, sameEffects } from "./change-effects.ts";
import type { Deps } from "./change-request-service.ts";
import { changeText } from "./change-request-text.ts";
import { approvalCardInput, currentStep, type RequestDetail } from "./request-detail.ts";

/**
 * The pending request planned again against the tree as it is now, under row locks (so what is found stays
 * until commit); null when it is stale — the target, a sibling or the reserve it would change, or an ancestor in
 * PARENT mode, got a new version since submission, or the change is no longer possible.
 */
export async function replanIfCurrent(tx: Tx, d: RequestDetail): Promise<PlannedChange | null> {
  try {
    const now = await planChange(tx, {
      planId: d.plan.id,
      planTotal: d.plan.total,
      targetId: d.request.targetId,
      proposed: d.request.proposedAmount,
      mode: d.request.rebalance,
      lock: true,
    });
    return sameEffects(now.effects, d.effects) ? now : null;
  } catch (err) {
    if (err instanceof AppError && err.code === "VALIDATION") return null;
    throw err;
  }
}

/** Whether a pending request can no longer be applied as submitted (see {@link replanIfCurrent}). */
export async function isStale(tx: Tx, d: RequestDetail): Promise<boolean> {
  return (await replanIfCurrent(tx, d)) === null;
}

export type EndReason = "WITHDRAWN" | "LEFT" | "STALE";

const NOTE: Record<EndReason, string> = {
  WITHDRAWN: "申请人已撤回",
  LEFT: "申请人已离职，申请自动撤回",
  STALE: "目标在申请后已变更，申请已失效",
};

/**
 * Ends a pending request without a decision: withdrawn by its requester (or because the requester left), or
 * stale. Its open steps close, the current step's card shows why and loses its buttons, its 待办 is done, and
 * the people concerned are told: every approver who has had it (withdrawn) or the requester (stale; the
 * approver who clicked sees it on the card).
 */
export async function endRequest(deps: Deps, tx: Tx, d: RequestDetail, why: EndReason, at: Date): Promise<void> {
  const step = currentStep(d);
  const status = why === "STALE" ? "STALE" : "WITHDRAWN";
  await tx.changeRequest.update({
    where: { id: d.request.id },
    data: { status, statusNote: NOTE[why], decidedAt: at },
  });
  await tx.approvalStep.updateMany({
    where: { requestId: d.request.id, status: { in: ["PENDING", "WAITING"] } },
    data: { status: "CLOSED" },
  });
  const what = `「${d.targetPath}」${changeText(d.request.currentAmount, d.request.proposedAmount)}`;
  if (step) {
    const input = await approvalCardInput(tx, d, step);
    const params =
      why === "STALE"
        ? approvalCardStale(input, d.plan.timezone)
        : approvalCardWithdrawn(input, NOTE[why], d.plan.timezone);
    const card = stepCardKey(d.request.id, step);
    await deps.outbound.updateCard(tx, { card, to: step.approverUserId, key: `${card}.end`, params });
    await closeStepTodo(deps, tx, d.request.id, step);
  }
  if (why === "STALE") {
    const text = `你申请的目标调整${what}已失效：目标在申请后已有新版本，未作任何调整。如仍需调整，请按最新目标重新申请。`;
    await deps.outbound.sendText(tx, { to: [d.requester.userId], key: `apr.${d.request.id}.stale`, text });
    return;
  }
  const reached = d.steps.filter((s) => s.status === "APPROVED" || s.status === "PENDING").map((s) => s.approverUserId);
  if (reached.length > 0) {
    const who = why === "LEFT" ? `${d.requester.name}已离职，其` : `${d.requester.name}已撤回`;
    const text = `${who}目标调整申请${what}${why === "LEFT" ? "已自动撤回" : ""}，无需再审批。`;
    await deps.outbound.sendText(tx, { to: [...new Set(reached)], key: `apr.${d.request.id}.withdrawn`, text });
  }
}
