import type { AppDeps } from "../../app-deps.ts";
import { escalationOverdue } from "../../domain/miss-streak.ts";
import { nextEscalationAddressee } from "../../domain/next-escalation-addressee.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { managerChains } from "../../org/manager-chains.ts";
import { eachPlanIsolated, PlanFailuresError } from "../../scheduler/plan-failures.ts";
import { closeForLeavers } from "./close-for-leavers.ts";
import { drawCard, levelRow, loadEscalationViews, redrawCards } from "./escalation-view.ts";

interface Waiting {
  id: string;
  owner_user_id: string;
  plan_owner_user_id: string;
  plan_id: string;
  plan_name: string;
  timezone: string;
  level: number;
  sent_at: Date;
}

/**
 * Raises every OPEN escalation whose current addressee let 2 full workdays pass without any action
 * (escalationOverdue, counted in the plan's time zone from the day the card was sent to `at`'s local date): the
 * next person up the ladder gets a card saying 「张伟 2个工作日未处理，已上报」 and the earlier cards redraw as
 * 已上报. An action at the current level stops that level's clock. Where the ladder ended, nothing happens.
 *
 * Each escalation in its own transaction, re-checked under a row lock, so a rerun or a concurrent run raises
 * nothing twice (and the level's primary key would refuse it anyway). Owners who left close first (人员离职).
 */
export async function raiseOverdueEscalations(
  deps: Pick<AppDeps, "db" | "outbound" | "calendar" | "log">,
  at: Date,
): Promise<{ raised: number; closed: number }> {
  const closed = await deps.db.prisma.$transaction((tx) =>
    closeForLeavers(tx, deps, { planId: null, period: null, at }),
  );
  const waiting = await deps.db.prisma.$queryRawUnsafe<Waiting[]>(
    `SELECT e.id, e.owner_user_id, p.owner_user_id AS plan_owner_user_id, p.id AS plan_id, p.name AS plan_name,
            p.timezone, l.level, l.sent_at
       FROM escalation e
       JOIN plan p ON p.id = e.plan_id
       JOIN escalation_level l ON l.escalation_id = e.id
      WHERE e.status = 'OPEN' AND e.ladder_ended_at IS NULL
        AND l.level = (SELECT max(x.level) FROM escalation_level x WHERE x.escalation_id = e.id)
        AND NOT EXISTS (SELECT 1 FROM escalation_action a WHERE a.escalation_id = e.id AND a.level = l.level)
      ORDER BY l.sent_at, e.id`,
  );
  // Plan by plan: a plan whose escalations cannot be looked at (a bad stored time zone) is named, the others go on.
  const plans = [...new Map(waiting.map((w) => [w.plan_id, { id: w.plan_id, name: w.plan_name }])).values()];
  let raised = 0;
  const { failed } = await eachPlanIsolated(
    plans,
    async (plan) => {
      for (const w of waiting.filter((x) => x.plan_id === plan.id)) {
        if (!escalationOverdue(localDate(w.sent_at, w.timezone), localDate(at, w.timezone), deps.calendar)) continue;
        if (await raiseOne(deps, w, at)) raised++;
      }
    },
    (plan, err) =>
      deps.log.error({ err, planId: plan.id }, "escalation overdue: this plan failed; the other plans go on"),
  );
  if (failed.length > 0) throw new PlanFailuresError(failed, { raised, closed, failed });
  return { raised, closed };
}

async function raiseOne(deps: Pick<AppDeps, "db" | "outbound">, w: Waiting, at: Date): Promise<boolean> {
  return deps.db.prisma.$transaction(async (tx) => {
    // Under the lock: still open, still at this level, still no action (another run or a click may have won).
    const locked = await tx.$queryRawUnsafe<{ id: string }[]>(
      `SELECT id FROM escalation WHERE id = $1 AND status = 'OPEN' AND ladder_ended_at IS NULL FOR UPDATE`,
      w.id,
    );
    if (locked.length === 0) return false;
    const [v] = await loadEscalationViews(tx, [w.id]);
    const top = v?.levels.at(-1);
    if (!v || !top || top.level !== w.level || top.action) return false;
    const chains = await managerChains(tx, [v.ownerUserId]);
    const planOwnerRow = await tx.staff.findUnique({ where: { userId: w.plan_owner_user_id } });
    const to = nextEscalationAddressee({
      ownerId: v.ownerUserId,
      chain: chains.get(v.ownerUserId) ?? [],
      planOwner: { userId: w.plan_owner_user_id, active: planOwnerRow?.active ?? false },
      addressed: v.levels.map((l) => l.addresseeUserId),
    });
    if (!to) {
      // Nobody is left above: the escalation stays with its last addressee, and the clock stops.
      await tx.escalation.update({ where: { id: v.id }, data: { ladderEndedAt: at } });
      return false;
    }
    const level = top.level + 1;
    await tx.escalationLevel.create({
      data: levelRow({ escalationId: v.id, level, to, cause: "OVERDUE", period: v.lastPeriod, sentAt: at }),
    });
    const [after] = await loadEscalationViews(tx, [v.id]);
    const fresh = after!.levels.at(-1)!;
    await deps.outbound.sendCard(tx, {
      card: "escalation",
      to: fresh.addresseeUserId,
      key: fresh.outTrackId,
      params: drawCard(after!, fresh),
    });
    await redrawCards(tx, deps.outbound, after!, level);
    return true;
  });
}
