import { buildProgressCard, progressCardReported } from "../../../cards/progress.ts";
import type { AppDeps } from "../../app-deps.ts";
import { createAndDeliverBody } from "../../dingtalk/card-delivery-body.ts";
import { cardTemplateId } from "../../dingtalk/card-template-id.ts";
import { enqueue } from "../../dingtalk/outbox/enqueue.ts";
import { weeklyPromptRule } from "../../domain/job-schedules.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { progressCardId } from "../progress/progress-card-id.ts";
import { progressPromptInputs } from "../progress/progress-prompt.ts";
import { publishedWeeklyPlans, robotCodeOf } from "./job-plans.ts";

/**
 * Friday 16:00 (the workday before when Friday is a holiday): every active leaf owner of every published weekly
 * plan gets one progress prompt card for the week — period target, year-to-date, run-rate now needed, and
 * when the week is evaluated. The card's outTrackId (plan, period, person) is its outbox key: one card each,
 * however often this runs.
 */
export const weeklyPromptJob: ScheduledJob<AppDeps> = {
  id: "weekly-prompt",
  rule: weeklyPromptRule,
  async run(deps, period) {
    const robotCode = robotCodeOf(deps);
    const templateId = cardTemplateId(deps.config, "progress");
    const plans = await publishedWeeklyPlans(deps.db, period);
    let prompts = 0;
    let queued = 0;
    for (const plan of plans) {
      const owners = await progressPromptInputs(deps.db, { planId: plan.id, period, calendar: deps.calendar });
      const cards = owners.map(({ input, reported }) => {
        const outTrackId = progressCardId(plan.id, period, input.owner.userId);
        // Someone who reported before the prompt (chat, import) sees their figure and 修改, not a second ask.
        const card = reported
          ? progressCardReported(input, reported, reported.at, plan.timezone)
          : buildProgressCard(input, plan.timezone);
        const userId = input.owner.userId;
        return { outTrackId, body: createAndDeliverBody({ templateId, outTrackId, card, userId, robotCode }) };
      });
      queued += await deps.db.prisma.$transaction(
        async (tx) => {
          let n = 0;
          for (const c of cards) {
            if (await enqueue(tx, { idempotencyKey: c.outTrackId, kind: "card.createAndDeliver", payload: c.body }))
              n++;
          }
          return n;
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      prompts += cards.length;
    }
    return { plans: plans.length, prompts, queued };
  },
};
