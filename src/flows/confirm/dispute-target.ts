import type { AppDeps } from "../../app-deps.ts";
import type { CardContext } from "../../dingtalk/bot.ts";
import { parseAmount } from "../../domain/parse-amount.ts";
import type { Target } from "../../generated/prisma/client.ts";
import { AppError } from "../../lib/errors.ts";
import { submitChangeRequest } from "../approval/index.ts";

/**
 * 有异议: the owner's reason and counter-proposal (typed like a chat amount, and different from the target) become
 * a change request of this version, routed for approval like any other (docs/domain.md "Change approval"): the
 * first approver gets the approval card at once. Returns the name of that approver, for the card.
 */
export async function disputeTarget(
  deps: Pick<AppDeps, "outbound" | "config" | "calendar" | "log" | "now">,
  ctx: CardContext,
  a: { target: Pick<Target, "id" | "amount">; amount: string; reason: string },
): Promise<string> {
  const { target } = a;
  const amount = parseAmount(a.amount);
  if (!amount.ok) throw new AppError("VALIDATION", `建议目标“${a.amount}”无法识别，请填写如 380万 或 3800000`);
  if (amount.value === target.amount) throw new AppError("VALIDATION", "建议目标与当前目标相同；如无异议请点 确认");
  const request = await submitChangeRequest(
    deps,
    ctx.tx,
    {
      targetId: target.id,
      requesterUserId: ctx.event.userId,
      proposedAmount: amount.value,
      reason: a.reason,
      rebalance: "RESERVE",
      source: "CARD",
      kind: "DISPUTE",
    },
    deps.now(),
  );
  ctx.log.info({ requestId: request.request.id, targetId: target.id }, "dispute submitted for approval");
  return request.steps[0]?.approver.name ?? "";
}
