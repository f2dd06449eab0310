import type { FlowFactory } from "../flow.ts";
import { LEAVE_HELP, leaveIntents } from "./leave-chat.ts";
import { registerLeaveRoutes } from "./leave-routes.ts";

/**
 * Leave (docs/domain.md "Leave"): a person away from one date to another, recorded over the API or said in chat;
 * the progress and confirmation jobs leave them out (leave-sql.ts), and the evaluation excuses the periods.
 */
export const leaveFlow: FlowFactory = (deps) => ({
  name: "leave",
  intents: leaveIntents(deps),
  help: LEAVE_HELP,
  cardActions: [],
  routes: (router) => registerLeaveRoutes(router, deps),
  jobs: [],
});
