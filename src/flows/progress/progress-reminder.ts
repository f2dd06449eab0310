import { formatDateTime } from "../../../cards/format.ts";
import type { AppDeps } from "../../app-deps.ts";
import { EVALUATION_TIME, evaluationDay, progressReminderRule } from "../../domain/job-schedules.ts";
import { periodWorkdayDates } from "../../domain/leave-dates.ts";
import { metricLabel } from "../../domain/metric.ts";
import { formatPeriod } from "../../domain/period-words.ts";
import { localDateTime } from "../../domain/zoned-time.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { figuresInForce } from "./progress-queries.ts";
import { activeLeafOwners, eachWeeklyPlan } from "./published-weekly-plans.ts";

/**
 * Monday 10:00 (the first workday of the week): a 1:1 text to every owner with no figure for the last working
 * week — from the card, chat or an import — saying how to report late, two hours before the week is
 * evaluated; nobody on leave for all the week's workdays. Same text for everyone, so it goes out in batchSend calls of up to 20 people.
 */
export const progressReminderJob: ScheduledJob<AppDeps> = {
  id: "progress-reminder",
  rule: progressReminderRule,
  run: (deps, period) =>
    eachWeeklyPlan(deps, period, { recipients: 0, queued: 0 }, async (plan) => {
      const owners = await activeLeafOwners(deps.db, plan.id, periodWorkdayDates(period, deps.calendar));
      const reported = await figuresInForce(deps.db.prisma, { planId: plan.id, metric: plan.metric, period });
      const missing = owners.filter((u) => !reported.has(u));
      const dueAt = localDateTime(evaluationDay(period, deps.calendar), EVALUATION_TIME, plan.timezone);
      const content = progressReminderText({
        planName: plan.name,
        period,
        metric: metricLabel(plan.metric),
        due: formatDateTime(dueAt, plan.timezone),
      });
      return deps.db.prisma.$transaction(
        (tx) =>
          deps.outbound.broadcastText(tx, { keyPrefix: `rmd.prg.${plan.id}.${period}.`, to: missing, text: content }),
        { timeout: 60_000, maxWait: 30_000 },
      );
    }),
};

/** The reminder in plain Chinese: what is missing, how to answer late, and until when it counts. */
export function progressReminderText(a: { planName: string; period: string; metric: string; due: string }): string {
  return [
    `【进度填报提醒】你还没有填报「${a.planName}」${formatPeriod(a.period)} 的${a.metric}。`,
    `直接回复本消息即可补报，例如：上周完成35万（也可写 35w、三十五万、350,000）；也可以在上周的进度卡片上填写。`,
    `${a.due} 评估前补报都有效，逾期未报将记为“未填报”。`,
  ].join("\n");
}
