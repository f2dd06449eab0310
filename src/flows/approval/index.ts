import type { FlowFactory } from "../flow.ts";
import { APPROVAL_CARD_PREFIX } from "./approval-card-id.ts";
import { APPROVAL_HELP, approvalIntents, CHANGE_DRAFT_PROBE } from "./approval-chat.ts";
import { approvalReminderJob } from "./approval-reminder-job.ts";
import { registerApprovalRoutes } from "./approval-routes.ts";
import { handleApprovalCardAction } from "./decide-step.ts";

export { askForNewAmount } from "./ask-for-amount.ts";
export { type ChangeRequestInput, submitChangeRequest } from "./change-request-service.ts";

/**
 * Change approval (docs/domain.md "Change approval"): target-change requests from chat, the target card's
 * 有异议, an escalation's 发起目标调整 and the admin API, routed by size to the manager chain, decided on approval
 * cards, applied atomically with their rebalancing; reminders and moving a stale step up are its daily job.
 */
export const approvalFlow: FlowFactory = (deps) => ({
  name: "approval",
  intents: approvalIntents(deps),
  claimProbes: [CHANGE_DRAFT_PROBE],
  help: APPROVAL_HELP,
  helpRank: 50,
  cardActions: [{ prefix: APPROVAL_CARD_PREFIX, handle: (ctx) => handleApprovalCardAction(deps, ctx, deps.now()) }],
  routes: (router) => registerApprovalRoutes(router, deps),
  jobs: [approvalReminderJob],
});
