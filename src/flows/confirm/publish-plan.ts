import { buildTargetCard } from "../../../cards/target.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Database } from "../../db/database.ts";
import { AppError } from "../../lib/errors.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import { planNotFound } from "../../plans/plan-errors.ts";
import { planReadiness } from "../../plans/plan-readiness.ts";
import { type CoOwnedTarget, sendCoOwnerSummaries } from "./co-owner-summary.ts";
import { targetCardId } from "./target-card-id.ts";
import { targetCardInput } from "./target-card-input.ts";
import { sendTargetCards, type TargetCard } from "./target-cards-sent.ts";
import { targetPathSql, targetPlace } from "./target-place.ts";

export interface PublishResult {
  /** Owners' target cards newly queued (0 when everything was sent before). */
  queued: number;
  /** Co-owners' summaries newly queued: one per co-owner of a target whose card went out in this run. */
  summaries: number;
  leaves: number;
}

/**
 * Publishes a plan (docs/domain.md "Confirmation"): refused with every problem listed unless the plan is conserved
 * and every leaf has its responsible people and months; then, in one transaction, marks the plan and its
 * targets published (stamped with the service clock: evaluation excuses every period that began before) and queues each leaf owner's target card (确认 / 有异议: a decision, so one card each), and
 * to each co-owner one summary listing the targets whose cards went out in this run (news is batched). Card ids
 * carry target, version and owner, the summaries' keys the versions they list, so publishing again queues
 * nothing and a new version of a target queues its owner's card and its co-owners' summaries for that target only.
 */
export async function publishPlan(
  deps: Pick<AppDeps, "db" | "outbound" | "now">,
  planId: string,
): Promise<PublishResult> {
  const { db } = deps;
  const plan = await db.prisma.plan.findUnique({ where: { id: planId } });
  if (!plan) throw planNotFound(planId);
  if (plan.status === "CLOSED") throw new AppError("CONFLICT", "计划已关闭，不能发布");
  deps.outbound.assertConnected();
  const readiness = await planReadiness(db, planId);
  if (!readiness.ready) {
    throw new AppError(
      "CONFLICT",
      `计划还不能发布：${readiness.conservation.length} 处不守恒，${readiness.problems.length} 个责任问题`,
      {
        details: { conservation: readiness.conservation, problems: readiness.problems },
      },
    );
  }
  const leaves = await leavesToSend(db, planId);
  return db.prisma.$transaction(
    async (tx) => {
      // Only a draft changes: publishing again (nothing new) leaves the plan row, updated_at included, as it was.
      await tx.plan.updateMany({ where: { id: planId, status: "DRAFT" }, data: { status: "PUBLISHED" } });
      // publishedAt: evaluation excuses every period that began before it (docs/domain.md "Evaluation and escalation").
      const publishedAt = deps.now();
      await tx.target.updateMany({ where: { planId, state: "DRAFT" }, data: { state: "PUBLISHED", publishedAt } });
      const sent = await sendTargetCards(
        tx,
        deps.outbound,
        leaves.map((l) => l.card),
      );
      // Co-owners hear about the versions whose owner's card went out now: nothing when nothing is new.
      const fresh = new Set(sent.map((c) => c.key));
      const news = leaves.filter((l) => fresh.has(l.card.key)).map((l) => l.coOwned);
      const summaries = await sendCoOwnerSummaries(tx, deps.outbound, plan, news);
      return { queued: sent.length, summaries, leaves: readiness.leaves };
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
}

/** Every leaf: its owner's card, and what its co-owners' summary says of it. */
async function leavesToSend(db: Database, planId: string): Promise<{ card: TargetCard; coOwned: CoOwnedTarget }[]> {
  const rows = await db.sql.query<{ id: string; label: string; path: string | null }>(
    `SELECT t.id, t.label, ${targetPathSql("t")} AS path FROM target t
      WHERE t.plan_id = $1 AND ${liveLeafSql("t")} ORDER BY path, t.label, t.id`,
    [planId],
  );
  const leaves: { card: TargetCard; coOwned: CoOwnedTarget }[] = [];
  for (const { id, label, path } of rows) {
    const input = await targetCardInput(db, id);
    const { owner, version } = input;
    const key = targetCardId(id, version, owner.userId);
    leaves.push({
      card: { card: "target", to: owner.userId, key, params: buildTargetCard(input), targetId: id, version },
      coOwned: {
        targetId: id,
        version,
        place: targetPlace({ path, label, ownerName: owner.name }),
        ownerName: owner.name,
        amount: input.amount,
        coOwnerUserIds: input.coOwners.map((c) => c.userId),
      },
    });
  }
  return leaves;
}
