import type { Tx } from "../../db/database.ts";
import type { Outbound } from "../../dingtalk/outbound.ts";
import { formatAmountShort } from "../../domain/format-amount.ts";
import { AMOUNT_TTL_MS } from "./approval-chat.ts";

/**
 * A manager's 发起目标调整 on an escalation card: the bot asks in chat for the new amount and the reason, and
 * remembers which targets (a draft waiting for the amount, 24 hours). The reply then goes through the chat's
 * preview and 「确认」 like any request (source ESCALATION). Several targets → the amount reply is followed by a
 * numbered list to choose from.
 */
export async function askForNewAmount(
  tx: Tx,
  outbound: Outbound,
  a: {
    userId: string;
    owner: string;
    targets: { id: string; label: string; amount: bigint }[];
    key: string;
    at: Date;
  },
): Promise<void> {
  const data = {
    stage: "AMOUNT",
    targetIds: a.targets.map((t) => t.id),
    proposedAmount: null,
    reason: null,
    source: "ESCALATION",
    expiresAt: new Date(a.at.getTime() + AMOUNT_TTL_MS),
    createdAt: a.at,
  };
  await tx.changeDraft.upsert({ where: { userId: a.userId }, create: { userId: a.userId, ...data }, update: data });
  const list = a.targets.map((t) => `「${t.label}」（当前 ${formatAmountShort(t.amount)}）`).join("、");
  const text =
    `要调整${a.owner}的目标${list}，请直接回复调整后的金额和原因，例如：` +
    "“调整为380万，原因：大客户项目推迟”（24小时内有效）。我会列出调整前后和审批人，请你确认后再提交审批。";
  await outbound.sendText(tx, { to: [a.userId], key: a.key, text });
}
