import type { FlowFactory } from "../flow.ts";
import { handleProgressCardAction } from "./progress-card-actions.ts";
import { PROGRESS_CARD_PREFIX } from "./progress-card-id.ts";
import { PROGRESS_HELP, progressIntents } from "./progress-chat.ts";
import { progressReminderJob } from "./progress-reminder.ts";
import { registerProgressRoutes } from "./progress-routes.ts";
import { weeklyPromptJob } from "./weekly-prompt.ts";

/**
 * Progress (docs/domain.md "Progress"): figures reported in chat, on the weekly prompt card, or imported over the API;
 * the Friday prompt (at BOT_PROMPT_TIME) and the Monday reminder.
 */
export const progressFlow: FlowFactory = (deps) => ({
  name: "progress",
  intents: progressIntents(deps),
  help: PROGRESS_HELP,
  helpRank: 0, // reporting progress is what the bot is asked about most, though leave's intents are tried first
  cardActions: [{ prefix: PROGRESS_CARD_PREFIX, handle: (ctx) => handleProgressCardAction(deps, ctx, deps.now()) }],
  routes: (router) => registerProgressRoutes(router, deps),
  jobs: [{ ...weeklyPromptJob, rule: { ...weeklyPromptJob.rule, time: deps.config.promptTime } }, progressReminderJob],
});
