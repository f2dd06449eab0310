import type { Tx } from "../../db/database.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { stepCardKey } from "./approval-card-id.ts";
import type { Deps } from "./change-request-service.ts";
import type { RequestDetail, StepWithApprover } from "./request-detail.ts";

/** The 待办 of a step's current attempt: keyed like its card, so each attempt has one. */
const todoKey = (requestId: string, step: { level: number; attempt: number }) => `todo.${stepCardKey(requestId, step)}`;

/**
 * Puts the pending step in its approver's DingTalk 待办 (docs/domain.md "Change approval"), so an approval is never
 * lost in a chat scroll: who asks, which target, old → new, why. The decision itself is made on the approval card
 * in the chat with the bot, which the to-do says; nothing when to-dos are off (DINGTALK_TODO=off).
 */
export async function openStepTodo(deps: Deps, tx: Tx, d: RequestDetail, step: StepWithApprover): Promise<void> {
  const r = d.request;
  await deps.outbound.createTodo(tx, {
    to: step.approverUserId,
    key: todoKey(r.id, step),
    subject: `审批目标调整：${d.requester.name} ${d.target.label} ${formatAmountShort(r.currentAmount)} → ${formatAmountShort(r.proposedAmount)}`,
    description:
      `${d.targetPath}：${formatAmountShort(r.currentAmount)} → ${formatAmountShort(r.proposedAmount)}。原因：${r.reason}。` +
      `第${step.level}步/共${d.steps.length}步。请在与机器人的聊天中打开审批卡片，点“同意”或“驳回”。`,
    ...(deps.config.sandbox && deps.config.publicUrl ? { url: `${deps.config.publicUrl}/sandbox` } : {}),
  });
}

/** Marks a step attempt's 待办 done (decided, moved up, or the request ended). */
export async function closeStepTodo(
  deps: Deps,
  tx: Tx,
  requestId: string,
  step: { level: number; attempt: number },
): Promise<void> {
  const key = todoKey(requestId, step);
  await deps.outbound.finishTodo(tx, { key, doneKey: `${key}.done` });
}
