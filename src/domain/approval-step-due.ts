import type { Calendar } from "./calendar.ts";
import type { ManagerLink } from "./next-escalation-addressee.ts";
import { addDays } from "./plain-date.ts";

/** docs/domain.md "Change approval": a step left 1 workday → its approver is reminded; left 3 → it moves up. */
export const APPROVAL_REMIND_AFTER_WORKDAYS = 1;
export const APPROVAL_STEP_IN_AFTER_WORKDAYS = 3;

/**
 * Workdays a step has been waiting on `today`: the workdays after the day it became pending, through today.
 * Pending since Monday → 1 on Tuesday; since Friday → 1 on Monday; a holiday in between does not count.
 */
export function workdaysPending(pendingDate: string, today: string, calendar: Calendar): number {
  return calendar.workdaysInRange(addDays(pendingDate, 1), today);
}

/**
 * Who a step left too long moves up to: the first person up the current approver's manager chain (their direct
 * manager first) who is active, neither the requester nor the target's owner, and not already part of the
 * request (`taken`: every step's approver and everyone a step moved up from); when the chain has nobody, the
 * plan owner on the same terms; null when nobody can take it — the step then stays (never auto-approve).
 */
export function stepInApprover(a: {
  approverChain: readonly ManagerLink[];
  requesterId: string;
  ownerId: string;
  planOwner: { userId: string; active: boolean };
  taken: readonly string[];
}): string | null {
  const taken = new Set(a.taken);
  const eligible = (p: ManagerLink): p is { userId: string; active: boolean } =>
    p?.active === true && p.userId !== a.requesterId && p.userId !== a.ownerId && !taken.has(p.userId);
  const manager = a.approverChain.find(eligible);
  if (manager) return manager.userId;
  return eligible(a.planOwner) ? a.planOwner.userId : null;
}
