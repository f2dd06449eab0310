import type { AppDeps } from "../../app-deps.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { confirmReminderJob } from "./confirm-reminder.ts";
import { progressReminderJob } from "./progress-reminder.ts";
import { weeklyPromptJob } from "./weekly-prompt.ts";

/** Every scheduled job of the bot, in the order a trigger runs them (STYLE.md §7: jobs are data). */
export const scheduledJobs: ScheduledJob<AppDeps>[] = [weeklyPromptJob, progressReminderJob, confirmReminderJob];
