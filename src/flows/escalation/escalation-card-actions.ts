import { ZEscalationCardAction } from "../../../cards/card-action.ts";
import { formatDateTime } from "../../../cards/format.ts";
import type { AppDeps } from "../../app-deps.ts";
import { type CardContext, type CardUpdate, cardParamsUpdate } from "../../dingtalk/bot.ts";
import { missStreakText } from "../../domain/escalation-reason.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { parsePeriodKey } from "../../domain/period-key.ts";
import { AppError } from "../../lib/errors.ts";
import { parseEscalationCardId } from "./escalation-card-id.ts";
import {
  ACTION_KIND,
  ACTION_TEXT,
  drawCard,
  type EscalationView,
  loadEscalationViews,
  redrawCards,
} from "./escalation-view.ts";

type Deps = Pick<AppDeps, "outbound" | "config">;

/**
 * 安排辅导 / 发起目标调整 / 已知悉 on an escalation card (docs/domain.md "Evaluation and escalation"). Only the
 * addressee of the level that holds the escalation now may act, once; the action is recorded with who and when,
 * and every card of the escalation redraws. Anything else changes nothing and the clicker is told why.
 */
export async function handleEscalationCardAction(deps: Deps, ctx: CardContext): Promise<CardUpdate> {
  const ids = parseEscalationCardId(ctx.event.outTrackId);
  if (!ids) throw new AppError("VALIDATION", "无法识别这张升级卡片");
  const parsed = ZEscalationCardAction.safeParse(ctx.event.params);
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues[0]?.message ?? "按钮参数无效");
  // The row lock orders a click against an evaluation or overdue run raising or resolving the same escalation.
  await ctx.tx.$queryRawUnsafe("SELECT id FROM escalation WHERE id = $1 FOR UPDATE", ids.escalationId);
  const [v] = await loadEscalationViews(ctx.tx, [ids.escalationId]);
  const level = v?.levels.find((l) => l.level === ids.level);
  if (!v || !level) throw new AppError("NOT_FOUND", "这张卡片对应的升级已不存在");
  refuseUnlessActionable(v, level.level, ctx.event.userId);
  const kind = ACTION_KIND[parsed.data.action];
  const changeRequestIds = kind === "ADJUST" ? await openChangeRequests(deps, ctx, v) : [];
  await ctx.tx.escalationAction.create({
    data: { escalationId: v.id, level: level.level, userId: ctx.event.userId, action: kind, changeRequestIds },
  });
  ctx.log.info({ escalationId: v.id, level: level.level, action: kind }, "escalation action recorded");
  const [after] = await loadEscalationViews(ctx.tx, [v.id]);
  await redrawCards(ctx.tx, deps.outbound, after!, level.level);
  return cardParamsUpdate(drawCard(after!, after!.levels.find((l) => l.level === level.level)!), ctx.event.userId);
}

/** Why a click changes nothing, in the clicker's words; nothing when it may go ahead. */
function refuseUnlessActionable(v: EscalationView, level: number, userId: string): void {
  const card = v.levels.find((l) => l.level === level)!;
  if (userId !== card.addresseeUserId) {
    throw new AppError("CONFLICT", `这张卡片发给${card.addressee.name}，只有${card.addressee.name}可以处理`);
  }
  if (v.status === "RESOLVED") {
    throw new AppError("CONFLICT", `${v.owner.name}已恢复达标，升级已关闭，无需处理`);
  }
  if (v.status === "CLOSED") {
    throw new AppError("CONFLICT", `${v.owner.name}已离职（人员离职），升级已关闭，目标待重新分配`);
  }
  const top = v.levels.at(-1)!;
  if (top.level > level) {
    throw new AppError("CONFLICT", `已上报至${top.addressee.name}，此卡片无需你再处理`);
  }
  if (card.action) {
    const when = formatDateTime(card.action.actedAt, v.plan.timezone);
    throw new AppError("CONFLICT", `你已于${when}选择「${ACTION_TEXT[card.action.action]}」，无需重复操作`);
  }
}

/**
 * 发起目标调整: a PENDING change request (kind CHANGE) for each live target the owner was evaluated on, at the
 * current amount — the approval flow will ask for the new amount and route it; until then it waits. The
 * manager is told so in a private message.
 */
async function openChangeRequests(deps: Deps, ctx: CardContext, v: EscalationView): Promise<string[]> {
  const evaluation = await ctx.tx.periodEvaluation.findFirst({
    where: { planId: v.planId, userId: v.ownerUserId, period: { in: v.missedPeriods } },
    orderBy: { period: "desc" },
  });
  const targets = await ctx.tx.target.findMany({
    where: { id: { in: evaluation?.targetIds ?? [] }, ownerUserId: v.ownerUserId, state: "PUBLISHED" },
    orderBy: { label: "asc" },
  });
  if (targets.length === 0) throw new AppError("CONFLICT", `${v.owner.name}目前没有可调整的已发布目标`);
  const cadence = parsePeriodKey(v.missedPeriods[0] ?? v.lastPeriod).cadence;
  const reason = `经理发起：${missStreakText(v.streak, cadence)}`;
  const ids: string[] = [];
  for (const t of targets) {
    const request = await ctx.tx.changeRequest.create({
      data: {
        planId: v.planId,
        targetId: t.id,
        targetVersion: t.version,
        kind: "CHANGE",
        requesterUserId: ctx.event.userId,
        reason,
        currentAmount: t.amount,
        proposedAmount: t.amount,
      },
    });
    ids.push(request.id);
  }
  const list = targets.map((t) => `「${t.label}」（当前 ${formatAmountShort(t.amount)}）`).join("、");
  const text =
    `已为${v.owner.name}的目标${list}发起目标调整申请，原因：${reason}。` +
    "申请已保存为待处理；审批流程会请你填写调整后的目标金额并按规则送审，在此之前目标保持不变。";
  await deps.outbound.sendText(ctx.tx, { to: [ctx.event.userId], key: `esc.${v.id}.adjust`, text });
  return ids;
}
