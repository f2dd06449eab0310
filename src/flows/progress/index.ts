import type { FlowFactory } from "../flow.ts";
import { handleProgressCardAction } from "./progress-card-actions.ts";
import { PROGRESS_CARD_PREFIX } from "./progress-card-id.ts";
import { PROGRESS_HELP, progressIntents } from "./progress-chat.ts";
import { progressPromptJob } from "./progress-prompt-job.ts";
import { progressReminderJob } from "./progress-reminder.ts";
import { registerProgressRoutes } from "./progress-routes.ts";

/** The cadences a plan can have, in the order their jobs are listed and run on a date due for several. */
const CADENCES = ["WEEK", "MONTH", "QUARTER"] as const;

/**
 * Progress (docs/domain.md "Progress"): figures reported in chat, on the prompt card, or imported over the API;
 * the prompt at the end of each period (at BOT_PROMPT_TIME) and the reminder on the day it is evaluated, for
 * weekly, monthly and quarterly plans alike.
 */
export const progressFlow: FlowFactory = (deps) => ({
  name: "progress",
  intents: progressIntents(deps),
  help: PROGRESS_HELP,
  helpRank: 0, // reporting progress is what the bot is asked about most, though leave's intents are tried first
  cardActions: [{ prefix: PROGRESS_CARD_PREFIX, handle: (ctx) => handleProgressCardAction(deps, ctx, deps.now()) }],
  routes: (router) => registerProgressRoutes(router, deps),
  jobs: [
    ...CADENCES.map((c) => progressPromptJob(c, deps.config.promptTime)),
    ...CADENCES.map((c) => progressReminderJob(c)),
  ],
});

export { CONFIRM_WORDS, heldInChatSince } from "./progress-chat-confirm.ts";
export { type ProgressPrompt, progressPromptInputs } from "./progress-prompt.ts";
export { reportablePlans } from "./progress-report.ts";
