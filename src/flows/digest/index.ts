import type { FlowFactory } from "../flow.ts";
import { DIGEST_HELP, digestIntents } from "./digest-chat.ts";
import { registerDigestRoutes } from "./digest-routes.ts";
import { weeklyDigestJob } from "./weekly-digest-job.ts";

/**
 * The digest (docs/domain.md "Digest", issue #14): a plan's year to date, breakdowns, exceptions, leaderboard,
 * freshness and series for a period and a viewer's scope (`GET /api/plans/:id/digest`); the weekly-digest job that
 * sends it to directors and managers after each evaluation (markdown and chart); and the questions that go with it
 * in chat — 「排名」, 「团队进度」, 「看板」.
 */
export const digestFlow: FlowFactory = (deps) => ({
  name: "digest",
  intents: digestIntents(deps),
  help: DIGEST_HELP,
  helpRank: 10, // right after progress's own questions
  cardActions: [],
  routes: (router) => registerDigestRoutes(router, deps),
  jobs: [weeklyDigestJob(deps.config.digestTime)],
});

export { type LoadDigestOptions, loadDigest } from "./digest-data.ts";
