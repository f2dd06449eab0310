import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { StreakStep } from "../../domain/miss-streak.ts";
import { paceWarning } from "../../domain/pace-warning.ts";
import type { PeriodEvaluated, StoredEvaluation } from "../evaluation/period-evaluated.ts";
import { paceWarningText } from "./escalation-messages.ts";

/**
 * 风险预警 after a period's evaluation (docs/domain.md "Evaluation and escalation"): the owner's first miss of a
 * streak, or year to date more than PACE_WARNING_MARGIN points behind expected. One per owner, plan and period
 * (the outbox key); none for an excused period (on leave, the week of publishing, a week without workdays),
 * none to someone who left, and none to an owner whose escalation is open after this evaluation: the
 * escalation's own message already gives the gap and the run-rate (one message, not two).
 */
export async function sendPaceWarnings(
  tx: Tx,
  deps: Pick<AppDeps, "outbound" | "config">,
  e: PeriodEvaluated,
  stepped: { ev: StoredEvaluation; step: StreakStep }[],
  escalatedOwners: ReadonlySet<string>,
): Promise<number> {
  const due = stepped.flatMap(({ ev, step }) => {
    // An excused period (the week of publishing, a holiday week, leave) warns nobody: nothing was asked of them.
    if (escalatedOwners.has(ev.userId) || ev.status === "EXCUSED") return [];
    const warning = paceWarning({
      ytdActual: ev.ytdActual,
      expectedToDate: ev.ytdTarget,
      firstMiss: step.firstMiss,
      onLeave: ev.reason === "ON_LEAVE",
      margin: deps.config.paceWarningMargin,
    });
    return warning.warn ? [{ ev, warning }] : [];
  });
  if (due.length === 0) return 0;
  // One array parameter, not a list of thousands of bind values.
  const left = await tx.$queryRawUnsafe<{ user_id: string }[]>(
    "SELECT user_id FROM staff WHERE user_id = ANY($1::text[]) AND NOT active",
    due.map((d) => d.ev.userId),
  );
  const gone = new Set(left.map((s) => s.user_id));
  const texts = due
    .filter(({ ev }) => !gone.has(ev.userId))
    .map(({ ev, warning }) => ({
      to: [ev.userId],
      key: `pace.${e.plan.id}.${ev.period}.${ev.userId}`,
      text: paceWarningText({
        planName: e.plan.name,
        warning,
        miss: { period: ev.period, target: ev.target, actual: ev.actual },
        figures: { metric: e.plan.metric, ...ev },
        period: ev.period,
      }),
    }));
  // One statement for all of them: an evaluation of thousands of owners may warn thousands.
  return deps.outbound.sendTexts(tx, texts);
}
