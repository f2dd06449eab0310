import { buildNoticeCard } from "../../../cards/notice.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { CardContext } from "../../dingtalk/bot.ts";
import { formatAmountExact } from "../../domain/format-amount.ts";
import { parseAmount } from "../../domain/parse-amount.ts";
import type { Staff, Target } from "../../generated/prisma/client.ts";
import { AppError } from "../../lib/errors.ts";

/**
 * 有异议: a pending dispute of this version with the owner's reason and counter-proposal (typed like a chat
 * amount, and different from the target), and a notice to the owner's manager.
 */
export async function disputeTarget(
  deps: Pick<AppDeps, "outbound">,
  ctx: CardContext,
  a: { target: Target & { owner: Staff }; amount: string; reason: string },
): Promise<void> {
  const { target } = a;
  const amount = parseAmount(a.amount);
  if (!amount.ok) throw new AppError("VALIDATION", `建议目标“${a.amount}”无法识别，请填写如 380万 或 3800000`);
  if (amount.value === target.amount) throw new AppError("VALIDATION", "建议目标与当前目标相同；如无异议请点 确认");
  const request = await ctx.tx.changeRequest.create({
    data: {
      planId: target.planId,
      targetId: target.id,
      targetVersion: target.version,
      kind: "DISPUTE",
      requesterUserId: ctx.event.userId,
      reason: a.reason,
      currentAmount: target.amount,
      proposedAmount: amount.value,
    },
  });
  const { owner } = target;
  if (!owner.managerUserId) {
    // The dispute is stored and waits, but nobody was told: someone must give the owner a manager.
    const who = { userId: owner.userId, name: owner.name, requestId: request.id, targetId: target.id };
    ctx.log.warn({ ...who, target: target.label }, "dispute has no manager to notify; set one in the org");
    return;
  }
  // The manager hears of it at once (routing and approval cards come with the approval flow).
  const card = buildNoticeCard({
    title: `${owner.name} 对目标提出异议`,
    lines: [
      `目标：${target.label}`,
      `当前：${formatAmountExact(target.amount)} → 建议：${formatAmountExact(amount.value)}`,
      `原因：${a.reason}`,
    ],
  });
  const key = `notice.dispute.${request.id}`;
  await deps.outbound.sendCard(ctx.tx, { card: "notice", to: owner.managerUserId, key, params: card });
}
