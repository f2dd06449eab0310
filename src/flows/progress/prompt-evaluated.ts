import { progressCardEvaluated, type TProgressCardInput } from "../../../cards/progress.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import type { PeriodEvaluated, StoredEvaluation } from "../evaluation/period-evaluated.ts";
import { progressCardId } from "./progress-card-id.ts";

/**
 * When a plan-period is evaluated, every owner's prompt card for it redraws as 已评估 with the verdict (达成 X% /
 * X%，未达标 / 未填报 / 免考核（…）) and no button, so nobody types a figure into a card that no longer counts
 * (docs/domain.md "Progress"). Only cards that were queued get an update (a person on leave, or an evaluation
 * of a period nobody was prompted for, has none). The card shows what the evaluation measured: the period
 * target evaluated against and the year to date through the period's end.
 *
 * Runs inside the evaluation's transaction (`tx` only): the updates are queued iff the verdicts are stored, and
 * their keys (`<outTrackId>.evaluated`) make them once each. Returns how many updates were queued.
 */
export async function markPromptsEvaluated(
  tx: Tx,
  deps: Pick<AppDeps, "outbound">,
  e: PeriodEvaluated,
): Promise<number> {
  if (e.evaluations.length === 0) return 0;
  const staff = await tx.staff.findMany({
    where: { userId: { in: e.evaluations.map((v) => v.userId) } },
    select: { userId: true, name: true },
  });
  const names = new Map(staff.map((s) => [s.userId, s.name]));
  // Set-based: an evaluation of 10,000 owners asks once which cards went out and queues the updates at once.
  const cardOf = (v: StoredEvaluation) => progressCardId(e.plan.id, v.period, v.userId);
  const sent = await deps.outbound.sentKeys(tx, e.evaluations.map(cardOf));
  const updates = e.evaluations
    .filter((v) => sent.has(cardOf(v)))
    .map((v) => ({
      card: cardOf(v),
      to: v.userId,
      key: `${cardOf(v)}.evaluated`,
      params: progressCardEvaluated(cardInput(e, v, names.get(v.userId) ?? v.userId), v, e.plan.timezone),
    }));
  return deps.outbound.updateCards(tx, updates);
}

/** The card's figures at evaluation: the stored verdict's target, year to date and run-rate. */
function cardInput(e: PeriodEvaluated, v: StoredEvaluation, name: string): TProgressCardInput {
  return {
    owner: { userId: v.userId, name },
    metric: e.plan.metric,
    period: v.period,
    periodTarget: v.target,
    annualTarget: v.annualTarget,
    ytdActual: v.ytdActual,
    ytdTarget: v.ytdTarget,
    requiredRunRate: v.requiredRunRate,
  };
}
