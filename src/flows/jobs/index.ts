import type { AppDeps } from "../../app-deps.ts";
import type { Config } from "../../config.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { confirmReminderJob } from "./confirm-reminder.ts";
import { progressReminderJob } from "./progress-reminder.ts";
import { weeklyPromptJob } from "./weekly-prompt.ts";

/**
 * Every scheduled job of the bot, in the order a trigger runs them (STYLE.md §7: jobs are data), with the
 * configured prompt time (BOT_PROMPT_TIME) in place of the weekly prompt's default 16:00.
 */
export function scheduledJobs(config: Pick<Config, "promptTime">): ScheduledJob<AppDeps>[] {
  const weeklyPrompt = { ...weeklyPromptJob, rule: { ...weeklyPromptJob.rule, time: config.promptTime } };
  return [weeklyPrompt, progressReminderJob, confirmReminderJob];
}
