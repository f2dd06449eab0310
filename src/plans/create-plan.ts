import type { Database } from "../db/database.ts";
import { metricUnit } from "../domain/metric.ts";
import { AppError } from "../lib/errors.ts";
import { writeLedger } from "./ledger.ts";
import type { TCreatePlanRequest } from "./plan-input.ts";

export interface CreatePlanOptions {
  db: Database;
  input: TCreatePlanRequest;
  actor: string;
  defaultTimezone: string;
}

/** Creates a DRAFT plan and its root target (the whole total, owned by the plan owner). */
export async function createPlan({ db, input, actor, defaultTimezone }: CreatePlanOptions) {
  const owner = await db.prisma.staff.findUnique({ where: { userId: input.ownerUserId } });
  if (!owner?.active) {
    throw new AppError("VALIDATION", `计划负责人 ${input.ownerUserId} ${owner ? "已离职" : "不存在"}`, {
      details: [{ field: "ownerUserId", message: owner ? "已离职" : "不存在" }],
    });
  }
  const unit = input.unit ?? metricUnit(input.metric);
  return db.prisma.$transaction(async (tx) => {
    const plan = await tx.plan.create({
      data: {
        name: input.name,
        fiscalYear: input.fiscalYear,
        metric: input.metric,
        unit,
        total: input.total,
        ownerUserId: input.ownerUserId,
        timezone: input.timezone ?? defaultTimezone,
        cadence: input.cadence,
        missThreshold: input.missThreshold,
        escalateAfter: input.escalateAfter,
        minOwners: input.minOwners,
        // JSON has no bigint: the deal size is stored as a string of digits, as the API gives amounts.
        ...(input.approvalThresholds ? { approvalThresholds: input.approvalThresholds } : {}),
        ...(input.funnel ? { funnel: { ...input.funnel, avgDealSize: String(input.funnel.avgDealSize) } } : {}),
      },
    });
    const root = await tx.target.create({
      data: {
        planId: plan.id,
        key: "ROOT",
        label: input.name,
        depth: 0,
        ownerUserId: input.ownerUserId,
        amount: input.total,
      },
    });
    await writeLedger(tx, [
      {
        planId: plan.id,
        targetId: root.id,
        version: 1,
        kind: "CREATE",
        actor,
        newAmount: input.total,
        reason: "创建计划",
      },
    ]);
    return { ...plan, rootTargetId: root.id };
  });
}
