import type { AppDeps } from "../../app-deps.ts";
import { type DueRule, workdayRule } from "../../domain/job-schedules.ts";
import { localDateTime } from "../../domain/zoned-time.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { raiseOverdueEscalations } from "./raise-overdue-escalations.ts";

/**
 * escalation-overdue: every workday at 12:30 (after the 12:00 evaluation), so a card left 2 full workdays
 * without action goes up that day, not at the next evaluation a week later. Period = the day.
 */
export const escalationOverdueRule: DueRule = workdayRule("12:30");

export const escalationOverdueJob: ScheduledJob<AppDeps> = {
  id: "escalation-overdue",
  rule: escalationOverdueRule,
  run(deps, day) {
    deps.outbound.assertConnected();
    return raiseOverdueEscalations(deps, localDateTime(day, escalationOverdueRule.time, deps.config.timezone));
  },
};
