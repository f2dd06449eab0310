import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../../app-deps.ts";
import { parsePeriodKey } from "../../domain/period-key.ts";
import { cadenceUnit } from "../../domain/period-words.ts";
import { parseOrThrow } from "../../http/validate.ts";
import { AppError } from "../../lib/errors.ts";
import { planNotFound } from "../../plans/plan-errors.ts";

const ZEvaluationsQuery = z.object({
  period: z.string().trim().min(1, "period 不能为空，如 2026-W50").max(20, "period 过长，应如 2026-W50").optional(),
});

/**
 * `GET /api/plans/:id/evaluations?period=2026-W50` → `{evaluations:[{userId, name, targetIds, period, target,
 * actual, attainment, status, reason, streak, evaluatedAt}]}`: the stored verdicts (immutable), amounts as exact
 * strings; every evaluated period when `period` is left out. A period of another cadence than the plan's is a
 * 400 that says which form to use; an unknown plan is a 404.
 */
export function registerEvaluationRoutes(router: Router, deps: AppDeps): void {
  router.get("/api/plans/:id/evaluations", async (ctx) => {
    const { period } = parseOrThrow(ZEvaluationsQuery, ctx.query, "查询参数");
    const plan = await deps.db.prisma.plan.findUnique({ where: { id: ctx.params.id ?? "" } });
    if (!plan) throw planNotFound(ctx.params.id ?? "");
    if (period !== undefined && parsePeriodKey(period).cadence !== plan.cadence) {
      const example = { WEEK: "2026-W50", MONTH: "2026-04", QUARTER: "2026-Q2" }[plan.cadence];
      throw new AppError("VALIDATION", `该计划按${cadenceUnit(plan.cadence)}考核，period 应如 ${example}`, {
        details: [{ field: "period", message: "周期类型与计划不符" }],
      });
    }
    const rows = await deps.db.prisma.periodEvaluation.findMany({
      where: { planId: plan.id, ...(period === undefined ? {} : { period }) },
      include: { staff: { select: { name: true } } },
      orderBy: [{ period: "asc" }, { userId: "asc" }],
    });
    ctx.body = {
      evaluations: rows.map((r) => ({
        userId: r.userId,
        name: r.staff.name,
        targetIds: r.targetIds,
        period: r.period,
        target: r.target.toString(),
        actual: r.actual === null ? null : r.actual.toString(),
        attainment: r.attainment,
        status: r.status,
        reason: r.reason,
        streak: r.streak,
        evaluatedAt: r.evaluatedAt.toISOString(),
      })),
    };
  });
}
