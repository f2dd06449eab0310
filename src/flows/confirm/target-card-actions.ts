import { ZTargetCardAction } from "../../../cards/card-action.ts";
import { targetCardConfirmed, targetCardDisputed } from "../../../cards/target.ts";
import type { AppDeps } from "../../app-deps.ts";
import { type CardContext, type CardUpdate, cardParamsUpdate } from "../../dingtalk/bot.ts";
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
  const input = await targetCardInput(ctx.sql, target.id);
  if (action.action === "confirm") {
    await confirmTarget(ctx, target);
    return cardParamsUpdate(targetCardConfirmed(input, deps.now(), deps.config.timezone), ctx.event.userId);
  }
  const approver = await disputeTarget(deps, ctx, { target, amount: action.amount, reason: action.reason });
  return cardParamsUpdate(targetCardDisputed(input, approver), ctx.event.userId);
}

/** What the click handler reads of the target, with whether this version is already answered. */
interface ClickedTarget {
  id: string;
  version: number;
  amount: bigint;
  ownerUserId: string;
  ownerName: string;
}

/**
 * Only the owner may act, only on the card of the current version, once: anyone else, an old card or a
 * repeated answer changes nothing and is told why (AppError → the bot shows its message to the clicker).
 * One statement (a click is on the path of every push, bench:inbound): the target, its owner's name, and
 * whether this version has its 确认 or a pending 有异议 already.
 */
async function acceptTargetClick(ctx: CardContext) {
  const ids = parseTargetCardId(ctx.event.outTrackId);
  if (!ids) throw new AppError("VALIDATION", "无法识别这张目标卡片");
  const parsed = ZTargetCardAction.safeParse(ctx.event.params);
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues[0]?.message ?? "按钮参数无效");
  const [row] = await ctx.sql.query<
    Omit<ClickedTarget, "amount" | "ownerUserId" | "ownerName"> & {
      amount: string;
      ownerUserId: string | null;
      ownerName: string | null;
      acked: boolean;
      disputed: boolean;
    }
  >(
    `SELECT t.id, t.version, t.amount::text AS amount, t.owner_user_id AS "ownerUserId", s.name AS "ownerName",
            EXISTS (SELECT 1 FROM target_ack a WHERE a.target_id = t.id AND a.version = t.version) AS acked,
            EXISTS (SELECT 1 FROM change_request r
                     WHERE r.target_id = t.id AND r.target_version = t.version
                       AND r.kind = 'DISPUTE' AND r.status = 'PENDING') AS disputed
       FROM target t LEFT JOIN staff s ON s.user_id = t.owner_user_id
      WHERE t.id = $1`,
    [ids.targetId],
  );
  if (!row?.ownerUserId || row.ownerName === null) throw new AppError("NOT_FOUND", "这张卡片对应的目标已不存在");
  if (ctx.event.userId !== row.ownerUserId) {
    throw new AppError("CONFLICT", `只有负责人${row.ownerName}可以确认或提出异议`);
  }
  if (ids.version !== row.version) {
    throw new AppError(
      "CONFLICT",
      `这是第 ${ids.version} 版目标的卡片，目标已更新到第 ${row.version} 版，请在最新的卡片上操作`,
    );
  }
  // One answer per version: after 确认, or while a dispute waits for the manager, the card is settled.
  if (row.acked) throw new AppError("CONFLICT", "你已确认过这一版目标；如需调整，请发起目标调整申请");
  if (row.disputed) throw new AppError("CONFLICT", "你已对这一版目标提出异议，正在等待审批");
  const target: ClickedTarget = {
    id: row.id,
    version: row.version,
    amount: BigInt(row.amount),
    ownerUserId: row.ownerUserId,
    ownerName: row.ownerName,
  };
  return { target, action: parsed.data };
}

/** 确认: an immutable acknowledgement of this version by its owner, from this card. */
async function confirmTarget(ctx: CardContext, target: ClickedTarget): Promise<void> {
  await ctx.sql.query("INSERT INTO target_ack (target_id, version, user_id, out_track_id) VALUES ($1, $2, $3, $4)", [
    target.id,
    target.version,
    ctx.event.userId,
    ctx.event.outTrackId,
  ]);
  ctx.log.info({ targetId: target.id, version: target.version }, "target confirmed");
}
