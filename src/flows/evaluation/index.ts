import type { FlowFactory } from "../flow.ts";
import { evaluateJob } from "./evaluate-job.ts";
import { registerEvaluationRoutes } from "./evaluation-routes.ts";

/**
 * Evaluation (docs/domain.md "Evaluation and escalation"): each closed period judged once per owner, the verdicts
 * stored and handed to escalation and the prompt cards; `GET /api/plans/:id/evaluations`.
 */
export const evaluationFlow: FlowFactory = (deps) => ({
  name: "evaluation",
  intents: [],
  cardActions: [],
  routes: (router) => registerEvaluationRoutes(router, deps),
  jobs: [evaluateJob],
});

export { type PeriodResult, recentResults } from "./recent-results.ts";
