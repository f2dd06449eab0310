import type { FlowFactory } from "../flow.ts";
import { confirmReminderJob } from "./confirm-reminder.ts";
import { registerConfirmRoutes } from "./confirm-routes.ts";
import { handleTargetCardAction } from "./target-card-actions.ts";
import { TARGET_CARD_PREFIX } from "./target-card-id.ts";

/**
 * Confirmation (docs/domain.md "Confirmation"): publishing a plan sends each leaf owner a target card to 确认 or dispute
 * (有异议); the workday reminder follows up on cards left unanswered.
 */
export const confirmFlow: FlowFactory = (deps) => ({
  name: "confirm",
  intents: [],
  cardActions: [{ prefix: TARGET_CARD_PREFIX, handle: (ctx) => handleTargetCardAction(deps, ctx) }],
  routes: (router) => registerConfirmRoutes(router, deps),
  jobs: [confirmReminderJob],
});

export { sendNewVersionCards } from "./new-version-cards.ts";
export { targetPathSql } from "./target-place.ts";
