import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import { ZAmount } from "../../domain/z-amount.ts";
import { parseOrThrow, validate } from "../../http/validate.ts";
import { AppError } from "../../lib/errors.ts";
import { submitChangeRequest } from "./change-request-service.ts";
import { deltaPct } from "./change-request-text.ts";
import { currentStep, loadRequest, loadRequests, type RequestDetail, type StoredSkip } from "./request-detail.ts";
import { withdrawChangeRequest } from "./withdraw-request.ts";

const ZSubmit = z.strictObject({
  targetId: z.string().trim().min(1, "targetId 不能为空").max(100),
  requesterUserId: z.string().trim().min(1, "requesterUserId 不能为空").max(64),
  proposedAmount: ZAmount,
  reason: z.string({ error: "请填写调整原因（reason）" }),
  rebalance: z
    .enum(["RESERVE", "SIBLINGS", "PARENT"], { error: "rebalance 只能是 RESERVE、SIBLINGS 或 PARENT" })
    .default("RESERVE"),
});

const STATUSES = ["PENDING", "APPROVED", "REJECTED", "STALE", "WITHDRAWN"] as const;
const ZListQuery = z.object({
  planId: z.string().trim().min(1, "planId 不能为空").max(100).optional(),
  status: z
    .string()
    .trim()
    .toUpperCase()
    .pipe(z.enum(STATUSES, { error: "status 只能是 PENDING、APPROVED、REJECTED、STALE 或 WITHDRAWN" }))
    .optional(),
  limit: z.coerce
    .number({ error: "limit 必须是 1 到 1000 的整数" })
    .int("limit 必须是 1 到 1000 的整数")
    .min(1, "limit 必须是 1 到 1000 的整数")
    .max(1000, "limit 必须是 1 到 1000 的整数")
    .default(200),
});
const ZCancel = z.strictObject({ userId: z.string().trim().min(1).max(64).optional() });

/**
 * The admin API of change approval (README "Admin API"): submit a request on someone's behalf, list and read
 * requests with their steps, withdraw one. (A plan's ledger shows each applied change with its request:
 * GET /api/plans/:id/ledger, src/plans/plan-routes.ts.)
 */
export function registerApprovalRoutes(router: Router, deps: AppDeps): void {
  const { prisma } = deps.db;
  const tx = <T>(fn: (t: Tx) => Promise<T>) => prisma.$transaction(fn, { timeout: 60_000 });

  router.post("/api/change-requests", validate(ZSubmit, deps.config.bodyLimitBytes), async (ctx) => {
    const body = ctx.state.body as z.output<typeof ZSubmit>;
    deps.outbound.assertConnected();
    const d = await tx(async (t) => {
      const submitted = await submitChangeRequest(deps, t, { ...body, source: "API", kind: "CHANGE" }, deps.now());
      const text = `管理员代你提交了目标调整申请「${submitted.targetPath}」，等待${submitted.steps[0]?.approver.name}审批。如需撤回，回复“撤回申请”。`;
      await deps.outbound.sendText(t, { to: [body.requesterUserId], key: `apr.${submitted.request.id}.api`, text });
      return submitted;
    });
    ctx.status = 201;
    ctx.body = requestJson(d);
  });

  router.get("/api/change-requests", async (ctx) => {
    const q = parseOrThrow(ZListQuery, ctx.query, "查询参数");
    if (q.planId && !(await prisma.plan.findUnique({ where: { id: q.planId }, select: { id: true } }))) {
      throw new AppError("NOT_FOUND", `计划 ${q.planId} 不存在`);
    }
    // One more than asked: whether there are more than the page shows.
    const details = await tx((t) => loadRequests(t, { planId: q.planId, status: q.status }, { take: q.limit + 1 }));
    ctx.body = { changeRequests: details.slice(0, q.limit).map(requestJson), more: details.length > q.limit };
  });

  router.get("/api/change-requests/:id", async (ctx) => {
    const d = await tx((t) => loadRequest(t, ctx.params.id ?? ""));
    if (!d) throw new AppError("NOT_FOUND", `调整申请 ${ctx.params.id} 不存在`);
    ctx.body = requestJson(d);
  });

  router.post("/api/change-requests/:id/cancel", validate(ZCancel, deps.config.bodyLimitBytes), async (ctx) => {
    const body = ctx.state.body as z.output<typeof ZCancel>;
    deps.outbound.assertConnected();
    const d = await tx((t) =>
      withdrawChangeRequest(deps, t, { requestId: ctx.params.id ?? "", userId: body.userId ?? null, at: deps.now() }),
    );
    ctx.body = requestJson(d);
  });
}

/** A request as the API gives it (README "Admin API"). */
export function requestJson(d: RequestDetail) {
  const r = d.request;
  const skipped = r.skipped as unknown as StoredSkip[];
  return {
    id: r.id,
    planId: r.planId,
    targetId: r.targetId,
    targetPath: d.targetPath,
    kind: r.kind,
    source: r.source,
    requesterUserId: r.requesterUserId,
    currentAmount: r.currentAmount,
    proposedAmount: r.proposedAmount,
    delta: r.proposedAmount - r.currentAmount,
    deltaPct: deltaPct(r.currentAmount, r.proposedAmount),
    reason: r.reason,
    rebalance: r.rebalance,
    status: r.status,
    statusNote: r.statusNote,
    effects: d.effects,
    createdAt: r.createdAt,
    decidedAt: r.decidedAt,
    steps: d.steps.map((s) => ({
      level: s.level,
      role: s.role,
      approverUserId: s.approverUserId,
      approverName: s.approver.name,
      status: s.status,
      decidedAt: s.decidedAt,
      comment: s.comment,
      handedOver: s.handedOver,
    })),
    skipped,
    currentApproverUserId: currentStep(d)?.approverUserId ?? null,
  };
}
