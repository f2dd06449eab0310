import { formatDateTime } from "../../../cards/format.ts";
import type { AppDeps } from "../../app-deps.ts";
import { EVALUATION_TIME, evaluationDay, reminderRule } from "../../domain/job-schedules.ts";
import { periodWorkdayDates } from "../../domain/leave-dates.ts";
import { metricLabel } from "../../domain/metric.ts";
import { type Cadence, parsePeriodKey } from "../../domain/period-key.ts";
import { formatPeriod, periodRefWord } from "../../domain/period-words.ts";
import { localDateTime } from "../../domain/zoned-time.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { figuresInForce } from "./progress-queries.ts";
import { activeLeafOwners, eachPublishedPlan } from "./published-plans.ts";

/**
 * One reminder job per cadence, as for the prompts (progress-prompt-job.ts): `progress-reminder` keeps the id
 * it was published with for weeks; months and quarters are named like their prompts.
 */
export const REMINDER_JOB_IDS: Record<Cadence, string> = {
  WEEK: "progress-reminder",
  MONTH: "monthly-progress-reminder",
  QUARTER: "quarterly-progress-reminder",
};

/**
 * 10:00 on the evaluation day of the period that just ended (a week's next Monday, a month's or quarter's first
 * workday after it; later after a holiday): a 1:1 text to every owner with no figure for that period — from the
 * card, chat or an import — saying how to report late, two hours before it is evaluated; nobody on leave for
 * all the period's workdays. Same text for everyone, so it goes out in batchSend calls of up to 20 people.
 */
export function progressReminderJob(cadence: Cadence): ScheduledJob<AppDeps> {
  return {
    id: REMINDER_JOB_IDS[cadence],
    rule: reminderRule(cadence),
    run: (deps, period) =>
      eachPublishedPlan(deps, period, { recipients: 0, queued: 0 }, async (plan) => {
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
}

/**
 * The reminder in plain Chinese: what is missing, how to answer late (「上周完成35万」, 「上月完成35万」: the words
 * the chat reads as the period before), and until when it counts.
 */
export function progressReminderText(a: { planName: string; period: string; metric: string; due: string }): string {
  const previous = periodRefWord(parsePeriodKey(a.period).cadence, "previous");
  return [
    `【进度填报提醒】你还没有填报「${a.planName}」${formatPeriod(a.period)} 的${a.metric}。`,
    `直接回复本消息即可补报，例如：${previous}完成35万（也可写 35w、三十五万、350,000）；也可以在${previous}的进度卡片上填写。`,
    `${a.due} 评估前补报都有效，逾期未报将记为“未填报”。`,
  ].join("\n");
}
