import { buildProgressCard, progressCardReported } from "../../../cards/progress.ts";
import type { AppDeps } from "../../app-deps.ts";
import { weeklyPromptRule } from "../../domain/job-schedules.ts";
import { periodWorkdayDates } from "../../domain/leave-dates.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { progressCardId } from "./progress-card-id.ts";
import { progressPromptInputs } from "./progress-prompt.ts";
import { eachWeeklyPlan } from "./published-weekly-plans.ts";

/**
 * Friday 16:00 (the workday before when Friday is a holiday): every active leaf owner of every published weekly
 * plan gets one progress prompt card for the week — period target, year-to-date, run-rate now needed, and
 * when the week is evaluated. The card's outTrackId (plan, period, person) is its outbox key: one card each,
 * however often this runs. Nobody is prompted for a week they are on leave for all of its workdays.
 */
export const weeklyPromptJob: ScheduledJob<AppDeps> = {
  id: "weekly-prompt",
  rule: weeklyPromptRule,
  run: (deps, period) =>
    eachWeeklyPlan(deps, period, { prompts: 0, queued: 0 }, async (plan) => {
      const owners = await progressPromptInputs(deps.db, {
        planId: plan.id,
        period,
        calendar: deps.calendar,
        presentOn: periodWorkdayDates(period, deps.calendar),
      });
      const cards = owners.map(({ input, reported }) => {
        const to = input.owner.userId;
        // Someone who reported before the prompt (chat, import) sees their figure and 修改, not a second ask.
        const params = reported
          ? progressCardReported(input, reported, reported.at, plan.timezone)
          : buildProgressCard(input, plan.timezone);
        return { card: "progress" as const, to, key: progressCardId(plan.id, period, to), params };
      });
      const queued = await deps.db.prisma.$transaction(
        async (tx) => {
          let n = 0;
          for (const c of cards) if (await deps.outbound.sendCard(tx, c)) n++;
          return n;
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      return { prompts: cards.length, queued };
    }),
};
