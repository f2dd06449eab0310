import type { Database } from "../db/database.ts";
import { attainment } from "../domain/attainment.ts";
import { requestJson } from "../flows/approval/approval-routes.ts";
import { loadRequest, type RequestDetail } from "../flows/approval/request-detail.ts";
import { targetPathSql } from "../flows/confirm/index.ts";
import { escalationJson } from "../flows/escalation/escalation-routes.ts";
import { loadEscalationViews } from "../flows/escalation/escalation-view.ts";
import { recentResults } from "../flows/evaluation/index.ts";
import { AppError } from "../lib/errors.ts";
import { readLedger } from "../plans/ledger.ts";
import { inScope, outOfScope, type Scope } from "./dashboard-access.ts";

/**
 * One person on the dashboard (the end of a drill-down): their targets in the plan, every evaluated period
 * (target, figure, attainment), their escalations, the change requests on their targets or made by them, and
 * the ledger of their targets. Read through the same functions the admin API and the cards use, so the page
 * never says something else than they do.
 */
export async function dashboardPerson(db: Database, a: { planId: string; userId: string; scope: Scope }) {
  if (!inScope(a.scope, a.userId)) throw outOfScope();
  const prisma = db.prisma;
  const person = await prisma.staff.findUnique({ where: { userId: a.userId }, include: { dept: true } });
  if (!person) throw new AppError("NOT_FOUND", `没有这个人：${a.userId}`);
  const targets = await prisma.$queryRawUnsafe<
    { id: string; label: string; path: string | null; amount: string; state: string; version: number }[]
  >(
    `SELECT t.id, t.label, ${targetPathSql("t")} AS path, t.amount::text AS amount, t.state::text AS state, t.version
       FROM target t WHERE t.plan_id = $1 AND t.owner_user_id = $2 AND t.state <> 'ARCHIVED' AND NOT t.reserve
      ORDER BY t.depth, t.label`,
    a.planId,
    a.userId,
  );
  const targetIds = targets.map((t) => t.id);
  const recent = await recentResults(prisma, { planId: a.planId, userId: a.userId, take: 60 });
  const evaluations = await prisma.periodEvaluation.findMany({
    where: { planId: a.planId, userId: a.userId },
    select: { period: true, status: true, reason: true, streak: true },
  });
  const verdict = new Map(evaluations.map((e) => [e.period, e]));
  const escalationIds = await prisma.escalation.findMany({
    where: { planId: a.planId, ownerUserId: a.userId },
    select: { id: true },
    orderBy: { createdAt: "desc" },
  });
  const requestIds = await prisma.changeRequest.findMany({
    where: { planId: a.planId, OR: [{ targetId: { in: targetIds } }, { requesterUserId: a.userId }] },
    select: { id: true },
    orderBy: [{ createdAt: "desc" }, { id: "asc" }],
    take: 50,
  });
  const { escalations, requests } = await prisma.$transaction(async (tx) => {
    const requests: RequestDetail[] = [];
    for (const r of requestIds) requests.push((await loadRequest(tx, r.id))!);
    return {
      escalations: await loadEscalationViews(
        tx,
        escalationIds.map((e) => e.id),
      ),
      requests,
    };
  });
  const order = new Map(escalationIds.map((e, i) => [e.id, i]));
  escalations.sort((x, y) => order.get(x.id)! - order.get(y.id)!);
  return {
    person: {
      userId: person.userId,
      name: person.name,
      title: person.title,
      dept: person.dept.name,
      active: person.active,
    },
    targets: targets.map((t) => ({
      ...t,
      amount: BigInt(t.amount),
      path: [t.path, t.label].filter(Boolean).join(" · "),
    })),
    ytd: recent.ytd,
    periods: recent.periods.map((p) => ({
      ...p,
      attainment: attainment(p.actual, p.target),
      status: verdict.get(p.period)?.status ?? null,
      reason: verdict.get(p.period)?.reason ?? null,
      streak: verdict.get(p.period)?.streak ?? 0,
    })),
    escalations: escalations.map(escalationJson),
    changeRequests: requests.map(requestJson),
    ledger: targetIds.length === 0 ? [] : await readLedger(prisma, { planId: a.planId, targetIds, take: 200 }),
  };
}
