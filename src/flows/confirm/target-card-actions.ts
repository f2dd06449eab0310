import { ZTargetCardAction } from "../../../cards/card-action.ts";
import { targetCardConfirmed, targetCardDisputed } from "../../../cards/target.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import { type CardContext, type CardUpdate, cardParamsUpdate } from "../../dingtalk/bot.ts";
import type { Staff, Target } from "../../generated/prisma/client.ts";
import { AppError } from "../../lib/errors.ts";
import { disputeTarget } from "./dispute-target.ts";
import { parseTargetCardId } from "./target-card-id.ts";
import { targetCardInput } from "./target-card-input.ts";

type Deps = Pick<AppDeps, "db" | "config" | "outbound" | "calendar" | "log" | "now">;

/**
 * 确认 and 有异议 on target cards (docs/domain.md "Confirmation"): accept the click, then confirm or dispute; the card
 * answers with its new state.
 */
export async function handleTargetCardAction(deps: Deps, ctx: CardContext): Promise<CardUpdate> {
  const { target, action } = await acceptTargetClick(ctx);
  const input = await targetCardInput(ctx.tx, target.id);
  if (action.action === "confirm") {
    await confirmTarget(ctx, target);
    return cardParamsUpdate(targetCardConfirmed(input, deps.now(), deps.config.timezone), ctx.event.userId);
  }
  const approver = await disputeTarget(deps, ctx, { target, amount: action.amount, reason: action.reason });
  return cardParamsUpdate(targetCardDisputed(input, approver), ctx.event.userId);
}

/**
 * Only the owner may act, only on the card of the current version, once: anyone else, an old card or a
 * repeated answer changes nothing and is told why (AppError → the bot shows its message to the clicker).
 */
async function acceptTargetClick(ctx: CardContext) {
  const ids = parseTargetCardId(ctx.event.outTrackId);
  if (!ids) throw new AppError("VALIDATION", "无法识别这张目标卡片");
  const parsed = ZTargetCardAction.safeParse(ctx.event.params);
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues[0]?.message ?? "按钮参数无效");
  const target = await ctx.tx.target.findUnique({ where: { id: ids.targetId }, include: { owner: true } });
  if (!target?.owner) throw new AppError("NOT_FOUND", "这张卡片对应的目标已不存在");
  if (ctx.event.userId !== target.ownerUserId) {
    throw new AppError("CONFLICT", `只有负责人${target.owner.name}可以确认或提出异议`);
  }
  if (ids.version !== target.version) {
    throw new AppError(
      "CONFLICT",
      `这是第 ${ids.version} 版目标的卡片，目标已更新到第 ${target.version} 版，请在最新的卡片上操作`,
    );
  }
  await refuseIfAnswered(ctx.tx, target.id, target.version);
  return { target: target as Target & { owner: Staff }, action: parsed.data };
}

/** 确认: an immutable acknowledgement of this version by its owner, from this card. */
async function confirmTarget(ctx: CardContext, target: Target): Promise<void> {
  await ctx.tx.targetAck.create({
    data: { targetId: target.id, version: target.version, userId: ctx.event.userId, outTrackId: ctx.event.outTrackId },
  });
  ctx.log.info({ targetId: target.id, version: target.version }, "target confirmed");
}

/** One answer per version: after 确认, or while a dispute waits for the manager, the card is settled. */
async function refuseIfAnswered(tx: Tx, targetId: string, version: number): Promise<void> {
  const ack = await tx.targetAck.findUnique({ where: { targetId_version: { targetId, version } } });
  if (ack) throw new AppError("CONFLICT", "你已确认过这一版目标；如需调整，请发起目标调整申请");
  const pending = await tx.changeRequest.findFirst({
    where: { targetId, targetVersion: version, kind: "DISPUTE", status: "PENDING" },
  });
  if (pending) throw new AppError("CONFLICT", "你已对这一版目标提出异议，正在等待审批");
}
