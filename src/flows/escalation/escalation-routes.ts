import type Router from "@koa/router";
import { z } from "zod";
import type { AppDeps } from "../../app-deps.ts";
import { parseOrThrow } from "../../http/validate.ts";
import { AppError } from "../../lib/errors.ts";
import { type EscalationView, loadEscalationViews } from "./escalation-view.ts";

const STATUSES = ["open", "resolved", "closed"] as const;

const ZQuery = z.object({
  planId: z.string().trim().min(1, "planId 不能为空").max(100).optional(),
  status: z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(STATUSES, { error: "status 只能是 open、resolved 或 closed（不区分大小写）" }))
    .optional(),
});

const CLOSE_TEXT = { RECOVERED: "已恢复", OWNER_LEFT: "人员离职" } as const;

/**
 * GET /api/escalations[?planId=&status=open|resolved|closed] → `{escalations: [...]}`, newest first: each with
 * its owner, status (and 已恢复 / 人员离职), streak, the missed periods with their figures, the current level and
 * addressee, the level history and the actions taken (README "Admin API").
 */
export function registerEscalationRoutes(router: Router, deps: AppDeps): void {
  router.get("/api/escalations", async (ctx) => {
    const q = parseOrThrow(ZQuery, ctx.query, "查询参数");
    const prisma = deps.db.prisma;
    if (q.planId && !(await prisma.plan.findUnique({ where: { id: q.planId }, select: { id: true } }))) {
      throw new AppError("NOT_FOUND", `计划 ${q.planId} 不存在`);
    }
    const rows = await prisma.escalation.findMany({
      where: { planId: q.planId, status: q.status ? (q.status.toUpperCase() as "OPEN") : undefined },
      select: { id: true },
      orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    });
    const views = await prisma.$transaction((tx) =>
      loadEscalationViews(
        tx,
        rows.map((r) => r.id),
      ),
    );
    const order = new Map(rows.map((r, i) => [r.id, i]));
    views.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    ctx.body = { escalations: views.map(escalationJson) };
  });
}

export function escalationJson(v: EscalationView) {
  const person = (s: { userId: string; name: string }) => ({ userId: s.userId, name: s.name });
  const top = v.levels.at(-1);
  return {
    id: v.id,
    planId: v.planId,
    owner: { ...person(v.owner), active: v.owner.active },
    status: v.status,
    closeReason: v.closeReason,
    closeReasonText: v.closeReason ? CLOSE_TEXT[v.closeReason] : null,
    // The owner left: whoever takes the target over needs it reassigned (the target tree shows the owner inactive).
    needsReassignment: v.closeReason === "OWNER_LEFT",
    streak: v.streak,
    missedPeriods: v.missedPeriods.map((p) => {
      const r = v.results.get(p);
      return {
        period: p,
        target: r?.target ?? null,
        actual: r?.actual ?? null,
        attainment: r?.attainment ?? null,
        reason: r?.reason ?? null,
      };
    }),
    openedPeriod: v.openedPeriod,
    lastPeriod: v.lastPeriod,
    closedPeriod: v.closedPeriod,
    closedAt: v.closedAt,
    currentLevel: top?.level ?? 0,
    addressee: top ? person(top.addressee) : null,
    ladderEnded: v.ladderEndedAt !== null,
    ytd: {
      actual: v.ytdActual,
      expected: v.ytdTarget,
      annualTarget: v.annualTarget,
      requiredRunRate: v.requiredRunRate,
    },
    levels: v.levels.map((l) => ({
      level: l.level,
      addressee: person(l.addressee),
      planOwner: l.planOwner,
      cause: l.cause,
      period: l.period,
      sentAt: l.sentAt,
      outTrackId: l.outTrackId,
    })),
    actions: v.levels.flatMap((l) =>
      l.action
        ? [
            {
              level: l.level,
              by: person(l.action.user),
              action: l.action.action,
              at: l.action.actedAt,
              changeRequestIds: l.action.changeRequestIds,
            },
          ]
        : [],
    ),
  };
}
