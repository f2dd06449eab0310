import { buildTargetCard, buildTargetInfoCard } from "../../../cards/target.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Database } from "../../db/database.ts";
import { AppError } from "../../lib/errors.ts";
import { liveLeafIds } from "../../plans/leaf-targets.ts";
import { planNotFound } from "../../plans/plan-errors.ts";
import { planReadiness } from "../../plans/plan-readiness.ts";
import { targetCardId } from "./target-card-id.ts";
import { targetCardInput } from "./target-card-input.ts";
import { sendTargetCards, type TargetCard } from "./target-cards-sent.ts";

export interface PublishResult {
  /** Cards newly queued (0 when everything was sent before). */
  queued: number;
  leaves: number;
}

/**
 * Publishes a plan (docs/domain.md "Confirmation"): refused with every problem listed unless the plan is conserved
 * and every leaf has its responsible people and months; then, in one transaction, marks the plan and its
 * targets published (stamped with the service clock) and queues each leaf owner's target card (确认 / 有异议) and an informational card to each
 * co-owner. Card ids carry target, version and recipient, so publishing again queues nothing and a new
 * version of a target queues cards for that target only.
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
  const cards = await cardsToSend(db, planId);
  return db.prisma.$transaction(
    async (tx) => {
      await tx.plan.update({ where: { id: planId }, data: { status: "PUBLISHED" } });
      // publishedAt: evaluation excuses every period that began before it (docs/domain.md "Evaluation and escalation").
      const publishedAt = deps.now();
      await tx.target.updateMany({ where: { planId, state: "DRAFT" }, data: { state: "PUBLISHED", publishedAt } });
      const queued = await sendTargetCards(tx, deps.outbound, cards);
      return { queued, leaves: readiness.leaves };
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
}

/** Every card of every leaf: the owner's, and one informational card per active co-owner. */
async function cardsToSend(db: Database, planId: string): Promise<TargetCard[]> {
  const cards: TargetCard[] = [];
  for (const id of await liveLeafIds(db.prisma, planId)) {
    const input = await targetCardInput(db, id);
    const recipients = [
      { userId: input.owner.userId, params: buildTargetCard(input), card: "target" as const },
      ...input.coOwners.map((c) => ({ userId: c.userId, params: buildTargetInfoCard(input), card: "target" as const })),
    ];
    for (const r of recipients) {
      const key = targetCardId(id, input.version, r.userId);
      cards.push({ card: r.card, to: r.userId, key, params: r.params, targetId: id, version: input.version });
    }
  }
  return cards;
}
