import { ZTargetCardAction } from "../../../cards/card-action.ts";
import { buildNoticeCard } from "../../../cards/notice.ts";
import { targetCardConfirmed, targetCardDisputed } from "../../../cards/target.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import { type CardContext, type CardUpdate, cardParamsUpdate } from "../../dingtalk/bot.ts";
import { formatAmount } from "../../domain/format-amount.ts";
import { parseAmount } from "../../domain/parse-amount.ts";
import { AppError } from "../../lib/errors.ts";
import { parseTargetCardId } from "./target-card-id.ts";
import { targetCardInput } from "./target-card-input.ts";

type Deps = Pick<AppDeps, "db" | "config" | "outbound">;

/**
 * 确认 and 有异议 on target cards (DESIGN §2 Confirmation). Only the owner may act, only on the card of the current version, once: anyone else, an old card or a
 * repeated answer changes nothing and is told why (AppError → the bot shows its message to the clicker).
 */
export async function handleTargetCardAction(deps: Deps, ctx: CardContext): Promise<CardUpdate> {
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
  const input = await targetCardInput(ctx.tx, target.id);
  const action = parsed.data;
  if (action.action === "confirm") {
    await ctx.tx.targetAck.create({
      data: {
        targetId: target.id,
        version: target.version,
        userId: ctx.event.userId,
        outTrackId: ctx.event.outTrackId,
      },
    });
    ctx.log.info({ targetId: target.id, version: target.version }, "target confirmed");
    return cardParamsUpdate(targetCardConfirmed(input, new Date(), deps.config.timezone), ctx.event.userId);
  }
  const amount = parseAmount(action.amount);
  if (!amount.ok) throw new AppError("VALIDATION", `建议目标“${action.amount}”无法识别，请填写如 380万 或 3800000`);
  if (amount.value === target.amount) throw new AppError("VALIDATION", "建议目标与当前目标相同；如无异议请点 确认");
  const request = await ctx.tx.changeRequest.create({
    data: {
      planId: target.planId,
      targetId: target.id,
      targetVersion: target.version,
      kind: "DISPUTE",
      requesterUserId: ctx.event.userId,
      reason: action.reason,
      currentAmount: target.amount,
      proposedAmount: amount.value,
    },
  });
  await noticeManager(deps, ctx, {
    requestId: request.id,
    owner: target.owner,
    label: target.label,
    from: target.amount,
    to: amount.value,
    reason: action.reason,
  });
  return cardParamsUpdate(targetCardDisputed(input), ctx.event.userId);
}

/** One answer per version: after 确认, or while a dispute waits for the manager, the card is settled. */
async function refuseIfAnswered(tx: Tx, targetId: string, version: number): Promise<void> {
  const ack = await tx.targetAck.findUnique({ where: { targetId_version: { targetId, version } } });
  if (ack) throw new AppError("CONFLICT", "你已确认过这一版目标；如需调整，请发起目标调整申请");
  const pending = await tx.changeRequest.findFirst({
    where: { targetId, targetVersion: version, kind: "DISPUTE", status: "PENDING" },
  });
  if (pending) throw new AppError("CONFLICT", "你已对这一版目标提出异议，正在等待经理处理");
}

/**
 * The owner's manager hears of the dispute at once (routing and approval cards come with the approval flow).
 * An owner without a manager is logged: the dispute is stored and waits, but nobody was told of it.
 */
async function noticeManager(
  deps: Deps,
  ctx: CardContext,
  d: {
    requestId: string;
    owner: { userId: string; name: string; managerUserId: string | null };
    label: string;
    from: bigint;
    to: bigint;
    reason: string;
  },
): Promise<void> {
  if (!d.owner.managerUserId) {
    const { userId, name } = d.owner;
    ctx.log.warn({ userId, name, requestId: d.requestId, target: d.label }, "dispute has no manager to notify");
    return;
  }
  const outTrackId = `notice.dispute.${d.requestId}`;
  const card = buildNoticeCard({
    title: `${d.owner.name} 对目标提出异议`,
    lines: [`目标：${d.label}`, `当前：${formatAmount(d.from)} → 建议：${formatAmount(d.to)}`, `原因：${d.reason}`],
  });
  await deps.outbound.sendCard(ctx.tx, { card: "notice", to: d.owner.managerUserId, key: outTrackId, params: card });
}
