import { ZEscalationCardAction } from "../../../cards/card-action.ts";
import { formatDateTime } from "../../../cards/format.ts";
import type { AppDeps } from "../../app-deps.ts";
import { type CardContext, type CardUpdate, cardParamsUpdate } from "../../dingtalk/bot.ts";
import { AppError } from "../../lib/errors.ts";
import { askForNewAmount } from "../approval/index.ts";
import { parseEscalationCardId } from "./escalation-card-id.ts";
import {
  ACTION_KIND,
  ACTION_TEXT,
  drawCard,
  type EscalationView,
  loadEscalationViews,
  redrawCards,
} from "./escalation-view.ts";

type Deps = Pick<AppDeps, "outbound" | "config" | "now">;

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
  if (kind === "ADJUST") await askForAdjustment(deps, ctx, v);
  await ctx.tx.escalationAction.create({
    data: { escalationId: v.id, level: level.level, userId: ctx.event.userId, action: kind, changeRequestIds: [] },
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
 * 发起目标调整: the approval flow asks the manager in chat for the new amount and the reason of the owner's live
 * targets evaluated in the streak; the request is made (and routed) from that reply, after the manager's 「确认」.
 * Nothing is stored as a request until then, so the action records no request ids.
 */
async function askForAdjustment(deps: Deps, ctx: CardContext, v: EscalationView): Promise<void> {
  const evaluation = await ctx.tx.periodEvaluation.findFirst({
    where: { planId: v.planId, userId: v.ownerUserId, period: { in: v.missedPeriods } },
    orderBy: { period: "desc" },
  });
  const targets = await ctx.tx.target.findMany({
    where: { id: { in: evaluation?.targetIds ?? [] }, ownerUserId: v.ownerUserId, state: "PUBLISHED" },
    orderBy: { label: "asc" },
  });
  if (targets.length === 0) throw new AppError("CONFLICT", `${v.owner.name}目前没有可调整的已发布目标`);
  await askForNewAmount(ctx.tx, deps.outbound, {
    userId: ctx.event.userId,
    owner: v.owner.name,
    targets,
    key: `esc.${v.id}.adjust`,
    at: deps.now(),
  });
}
