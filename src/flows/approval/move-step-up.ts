import { approvalCardReassigned } from "../../../cards/approval.ts";
import type { Tx } from "../../db/database.ts";
import { stepInApprover } from "../../domain/approval-step-due.ts";
import { managerChains } from "../../org/manager-chains.ts";
import { stepCardKey } from "./approval-card-id.ts";
import { closeStepTodo } from "./approval-todo.ts";
import type { Deps } from "./change-request-service.ts";
import { sendStepCard } from "./change-request-service.ts";
import { changeText } from "./change-request-text.ts";
import { approvalCardInput, loadRequest, type RequestDetail, type StepWithApprover } from "./request-detail.ts";

/**
 * One earlier approver of a step, in attempt order (decide-step reads handedOver[attempt - 1]); `at` is the ISO
 * instant the step moved on from them. A type alias, not an interface, so it is assignable to a JSON column.
 */
export type HandedOver = { userId: string; name: string; at: string };

/** Who the step would move up to (stepInApprover over the approver's manager chain), or null. */
export async function findStepIn(tx: Tx, d: RequestDetail, step: StepWithApprover): Promise<string | null> {
  const chain = (await managerChains(tx, [step.approverUserId])).get(step.approverUserId) ?? [];
  const planOwner = await tx.staff.findUnique({ where: { userId: d.plan.ownerUserId } });
  const taken = d.steps.flatMap((s) => [
    s.approverUserId,
    ...(s.handedOver as unknown as HandedOver[]).map((h) => h.userId),
  ]);
  return stepInApprover({
    approverChain: chain,
    requesterId: d.requester.userId,
    ownerId: d.target.ownerUserId ?? d.requester.userId,
    planOwner: { userId: d.plan.ownerUserId, active: planOwner?.active ?? false },
    taken,
  });
}

/**
 * Moves a step left 3 workdays up to `toUserId` (docs/domain.md "Change approval"): the same step, a new attempt
 * pending from `at`, its old approver added to handedOver. The old card shows 已转交 and loses its buttons, the
 * old 待办 is done, the new approver gets the card and a 待办, and the old approver and the requester are told.
 * The caller holds the request's lock and has checked the step is still current.
 */
export async function moveStepUp(
  deps: Deps,
  tx: Tx,
  d: RequestDetail,
  step: StepWithApprover,
  toUserId: string,
  at: Date,
): Promise<void> {
  const handedOver: HandedOver[] = [
    ...(step.handedOver as unknown as HandedOver[]),
    { userId: step.approverUserId, name: step.approver.name, at: at.toISOString() },
  ];
  await tx.approvalStep.update({
    where: { requestId_level: { requestId: d.request.id, level: step.level } },
    data: { approverUserId: toUserId, attempt: step.attempt + 1, pendingSince: at, remindedAt: null, handedOver },
  });
  const after = (await loadRequest(tx, d.request.id))!;
  const next = after.steps.find((s) => s.level === step.level)!;
  const oldCard = stepCardKey(d.request.id, step);
  const params = approvalCardReassigned(await approvalCardInput(tx, d, step), next.approver, d.plan.timezone);
  await deps.outbound.updateCard(tx, { card: oldCard, to: step.approverUserId, key: `${oldCard}.moved`, params });
  await closeStepTodo(deps, tx, d.request.id, step);
  await sendStepCard(deps, tx, after, next);
  const what = `「${d.targetPath}」${changeText(d.request.currentAmount, d.request.proposedAmount)}`;
  await deps.outbound.sendText(tx, {
    to: [step.approverUserId],
    key: `${oldCard}.moved.approver`,
    text: `${d.requester.name}的目标调整申请${what}你超过3个工作日未处理，已转交${next.approver.name}审批，你无需再处理。`,
  });
  await deps.outbound.sendText(tx, {
    to: [d.requester.userId],
    key: `${oldCard}.moved.requester`,
    text: `你的目标调整申请${what}：${step.approver.name}超过3个工作日未处理，已转交${next.approver.name}审批。`,
  });
}
