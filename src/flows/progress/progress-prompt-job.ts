import { buildProgressCard, progressCardReported } from "../../../cards/progress.ts";
import type { AppDeps } from "../../app-deps.ts";
import { promptRule } from "../../domain/job-schedules.ts";
import { periodWorkdayDates } from "../../domain/leave-dates.ts";
import type { Cadence } from "../../domain/period-key.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { progressCardId } from "./progress-card-id.ts";
import { progressPromptInputs } from "./progress-prompt.ts";
import { eachPublishedPlan } from "./published-plans.ts";

/**
 * One prompt job per cadence, because a date can be due for several at once (a Friday that ends a month and a
 * quarter prompts all three) while a job's rule names one period per date. `weekly-prompt` keeps the id it
 * was published with (README, POST /api/jobs/:job/run); job_run's key (job, period) never collides anyway,
 * the period keys of the cadences differing in shape.
 */
export const PROMPT_JOB_IDS: Record<Cadence, string> = {
  WEEK: "weekly-prompt",
  MONTH: "monthly-prompt",
  QUARTER: "quarterly-prompt",
};

/**
 * At `time` (BOT_PROMPT_TIME) on the period's prompt day — a week's Friday or the workday before, a month's or
 * a quarter's last workday — every active leaf owner of every published plan of that cadence gets one progress
 * prompt card for the period: period target, year-to-date, run-rate now needed, and when the period is
 * evaluated. The card's outTrackId (plan, period, person) is its outbox key: one card each, however often this
 * runs. Nobody is prompted for a period they are on leave for all of its workdays.
 */
export function progressPromptJob(cadence: Cadence, time: string): ScheduledJob<AppDeps> {
  return {
    id: PROMPT_JOB_IDS[cadence],
    rule: { ...promptRule(cadence), time },
    run: (deps, period) =>
      eachPublishedPlan(deps, period, { prompts: 0, queued: 0 }, async (plan) => {
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
}
