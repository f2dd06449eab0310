import { buildTargetCard, buildTargetInfoCard } from "../../../cards/target.ts";
import type { AppDeps } from "../../app-deps.ts";
import { createAndDeliverBody } from "../../dingtalk/card-delivery-body.ts";
import { cardTemplateId } from "../../dingtalk/card-template-id.ts";
import { enqueue } from "../../dingtalk/outbox/enqueue.ts";
import { AppError } from "../../lib/errors.ts";
import { planNotFound } from "../../plans/plan-errors.ts";
import { planReadiness } from "../../plans/plan-readiness.ts";
import { targetCardId } from "./target-card-id.ts";
import { targetCardInput } from "./target-card-input.ts";

export interface PublishResult {
  /** Cards newly queued (0 when everything was sent before). */
  queued: number;
  leaves: number;
}

/**
 * Publishes a plan (DESIGN §2 Confirmation): refused with every problem listed unless the plan is conserved
 * and every leaf has its responsible people and months; then, in one transaction, marks the plan and its
 * targets published and queues each leaf owner's target card (确认 / 有异议) and an informational card to each
 * co-owner. Card ids carry target, version and recipient, so publishing again queues nothing and a new
 * version of a target queues cards for that target only.
 */
export async function publishPlan(
  deps: Pick<AppDeps, "db" | "config" | "dingtalk">,
  planId: string,
): Promise<PublishResult> {
  const { db } = deps;
  const plan = await db.prisma.plan.findUnique({ where: { id: planId } });
  if (!plan) throw planNotFound(planId);
  if (plan.status === "CLOSED") throw new AppError("CONFLICT", "计划已关闭，不能发布");
  if (!deps.dingtalk)
    throw new AppError("CONFLICT", "未连接钉钉：请配置 DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET，或以沙盒模式启动");
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
  const { cards, versions } = await cardsToSend(deps, planId);
  return db.prisma.$transaction(
    async (tx) => {
      await tx.plan.update({ where: { id: planId }, data: { status: "PUBLISHED" } });
      await tx.target.updateMany({ where: { planId, state: "DRAFT" }, data: { state: "PUBLISHED" } });
      let queued = 0;
      for (const c of cards) {
        if (await enqueue(tx, { idempotencyKey: c.outTrackId, kind: "card.createAndDeliver", payload: c.body }))
          queued++;
      }
      // The target tree's confirmation state: this version's card is out (the version the card was built for).
      await tx.$executeRawUnsafe(
        `UPDATE target t SET sent_version = v.version
           FROM unnest($1::text[], $2::int[]) AS v(id, version) WHERE t.id = v.id`,
        versions.map((v) => v.id),
        versions.map((v) => v.version),
      );
      return { queued, leaves: readiness.leaves };
    },
    { timeout: 300_000, maxWait: 30_000 },
  );
}

/** Every card of every leaf (the owner's, and one informational card per active co-owner), and their versions. */
async function cardsToSend(deps: Pick<AppDeps, "db" | "config" | "dingtalk">, planId: string) {
  const robotCode = deps.dingtalk!.robotCode;
  const templateId = cardTemplateId(deps.config, "target");
  const leaves = await deps.db.sql.query<{ id: string }>(
    `SELECT t.id FROM target t WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED'
       AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id AND c.state <> 'ARCHIVED') ORDER BY t.id`,
    [planId],
  );
  const cards: { outTrackId: string; body: ReturnType<typeof createAndDeliverBody> }[] = [];
  const versions: { id: string; version: number }[] = [];
  for (const { id } of leaves) {
    const input = await targetCardInput(deps.db, id);
    versions.push({ id, version: input.version });
    const recipients = [
      { userId: input.owner.userId, card: buildTargetCard(input) },
      ...input.coOwners.map((c) => ({ userId: c.userId, card: buildTargetInfoCard(input) })),
    ];
    for (const r of recipients) {
      const outTrackId = targetCardId(id, input.version, r.userId);
      cards.push({
        outTrackId,
        body: createAndDeliverBody({ templateId, outTrackId, card: r.card, userId: r.userId, robotCode }),
      });
    }
  }
  return { cards, versions };
}
