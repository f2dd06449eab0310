import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import {
  APPROVAL_REMIND_AFTER_WORKDAYS,
  APPROVAL_STEP_IN_AFTER_WORKDAYS,
  workdaysPending,
} from "../../domain/approval-step-due.ts";
import { type DueRule, workdayRule } from "../../domain/job-schedules.ts";
import { localDate, localDateTime } from "../../domain/zoned-time.ts";
import type { ScheduledJob } from "../../scheduler/job.ts";
import { failureText, type PlanFailure, PlanFailuresError } from "../../scheduler/plan-failures.ts";
import { routeUnroutedRequest } from "./change-request-service.ts";
import { endRequest, isStale } from "./end-request.ts";
import { findStepIn, moveStepUp } from "./move-step-up.ts";
import { type DueReminder, remindApprovers } from "./remind-approvers.ts";
import { currentStep, loadRequest } from "./request-detail.ts";
import { withdrawForLeavers } from "./withdraw-request.ts";

/** approval-reminder: every workday at 10:00 (the bot's time zone); period = the day. */
export const approvalReminderRule: DueRule = workdayRule("10:00");

export const approvalReminderJob: ScheduledJob<AppDeps> = {
  id: "approval-reminder",
  rule: approvalReminderRule,
  run(deps, day, at) {
    deps.outbound.assertConnected();
    return runApprovalReminders(deps, at ?? localDateTime(day, approvalReminderRule.time, deps.config.timezone));
  },
};

type Outcome = { kind: "none" | "stale" | "movedUp" | "routed" | "withdrawn" } | { kind: "remind"; due: DueReminder };

/**
 * The daily look at pending change requests (docs/domain.md "Change approval"), in this order: requests of people
 * who left are withdrawn; a request stored before routing existed is routed now (or withdrawn, saying why, when
 * it no longer can be); a request whose target changed since becomes STALE (and nobody is reminded of it); a
 * step left 3 workdays moves up to its approver's manager; a step left 1 workday gets its approver one reminder
 * per attempt — every workday when nobody is left to move it up to (never auto-approve). Each request is
 * re-checked under its lock in its own transaction, so one failure undoes only that request and a rerun or a
 * click in between acts nothing twice. The scheduler's job_run makes the day's run happen once.
 */
export async function runApprovalReminders(
  deps: AppDeps,
  at: Date,
): Promise<{ withdrawn: number; stale: number; reminded: number; movedUp: number; routed: number }> {
  const { prisma } = deps.db;
  const withdrawn = await prisma.$transaction((tx) => withdrawForLeavers(deps, tx, at), { timeout: 120_000 });
  const pending = await prisma.changeRequest.findMany({
    where: { status: "PENDING" },
    select: { id: true, planId: true, plan: { select: { name: true } } },
    orderBy: [{ createdAt: "asc" }, { id: "asc" }],
  });
  const counts = { withdrawn, stale: 0, reminded: 0, movedUp: 0, routed: 0 };
  const due: DueReminder[] = [];
  const failed: PlanFailure[] = [];
  for (const { id, planId, plan } of pending) {
    try {
      const outcome = await prisma.$transaction((tx) => lookAtRequest(deps, tx, id, at), { timeout: 60_000 });
      if (outcome.kind === "remind") due.push(outcome.due);
      else if (outcome.kind !== "none") counts[outcome.kind]++;
    } catch (err) {
      deps.log.error({ err, requestId: id, planId }, "approval reminder: this request was skipped; the others go on");
      failed.push({ planId, plan: plan.name, error: `变更申请 ${id}：${failureText(err)}` });
    }
  }
  counts.reminded = await remindApprovers(deps, due, at);
  // Named in the run's status and result; FAILED, so the next trigger looks at those requests again.
  if (failed.length > 0) throw new PlanFailuresError(failed, { ...counts, failed });
  return counts;
}

async function lookAtRequest(deps: AppDeps, tx: Tx, id: string, at: Date): Promise<Outcome> {
  const d = await loadRequest(tx, id, { lock: true });
  if (d?.request.status !== "PENDING") return { kind: "none" };
  if (d.steps.length === 0) return { kind: (await routeUnroutedRequest(deps, tx, d, at)) ? "routed" : "withdrawn" };
  if (await isStale(tx, d)) {
    await endRequest(deps, tx, d, "STALE", at);
    return { kind: "stale" };
  }
  const step = currentStep(d);
  if (!step?.pendingSince) return { kind: "none" };
  const tz = d.plan.timezone;
  const today = localDate(at, tz);
  const days = workdaysPending(localDate(step.pendingSince, tz), today, deps.calendar);
  const stuck = days >= APPROVAL_STEP_IN_AFTER_WORKDAYS;
  if (stuck) {
    const to = await findStepIn(tx, d, step);
    if (to) {
      await moveStepUp(deps, tx, d, step, to, at);
      return { kind: "movedUp" };
    }
    const who = { requestId: d.request.id, level: step.level, approver: step.approverUserId };
    deps.log.warn(who, "approval step waited 3 workdays and nobody above can take it; set a manager in the org");
  }
  // Once per attempt; every workday once the step is stuck with nobody above to take it.
  const remindedToday = step.remindedAt !== null && localDate(step.remindedAt, tz) === today;
  const due = days >= APPROVAL_REMIND_AFTER_WORKDAYS && (step.remindedAt === null || (stuck && !remindedToday));
  return due ? { kind: "remind", due: { detail: d, step, today, days } } : { kind: "none" };
}
