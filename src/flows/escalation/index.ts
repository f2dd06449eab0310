import type { FlowFactory } from "../flow.ts";
import { handleEscalationCardAction } from "./escalation-card-actions.ts";
import { ESCALATION_CARD_PREFIX } from "./escalation-card-id.ts";
import { escalationOverdueJob } from "./escalation-overdue-job.ts";
import { registerEscalationRoutes } from "./escalation-routes.ts";

export type { EscalationCounts } from "./escalate-after-evaluation.ts";
export { escalateAfterEvaluation, raiseOverdueEscalations } from "./escalate-after-evaluation.ts";

/**
 * Escalation (docs/domain.md "Evaluation and escalation"): the evaluate job (src/flows/evaluation) calls
 * escalateAfterEvaluation in each plan-period's transaction and raiseOverdueEscalations once per run; this flow
 * adds the escalation card's clicks, GET /api/escalations and the daily escalation-overdue job.
 */
export const escalationFlow: FlowFactory = (deps) => ({
  name: "escalation",
  intents: [],
  cardActions: [{ prefix: ESCALATION_CARD_PREFIX, handle: (ctx) => handleEscalationCardAction(deps, ctx) }],
  routes: (router) => registerEscalationRoutes(router, deps),
  jobs: [escalationOverdueJob],
});
