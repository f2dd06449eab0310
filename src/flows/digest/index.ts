import type { FlowFactory } from "../flow.ts";
import { registerDigestRoutes } from "./digest-routes.ts";

/**
 * The digest (docs/domain.md "Digest", issue #14): a plan's year to date, breakdowns, exceptions, leaderboard,
 * freshness and series for a period and a viewer's scope; `GET /api/plans/:id/digest`.
 */
export const digestFlow: FlowFactory = (deps) => ({
  name: "digest",
  intents: [],
  cardActions: [],
  routes: (router) => registerDigestRoutes(router, deps),
  jobs: [],
});

export { type LoadDigestOptions, loadDigest } from "./digest-data.ts";
