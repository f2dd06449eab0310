import type { TextContext } from "../../dingtalk/bot.ts";
import type { Figure } from "../../domain/parse-progress.ts";
import { isPeriodOpen, periodClosesAt, periodRefWordAt } from "../../domain/period-open.ts";
import { periodRefWord } from "../../domain/period-words.ts";
import { progressCardId } from "./progress-card-id.ts";
import type { ProgressChatDeps } from "./progress-chat.ts";
import { closedText, evaluatedText, type ReportFigures, reportedLine, storeReport } from "./progress-report.ts";
import { updatePromptCard } from "./prompt-card-update.ts";

/** A reply that confirms a held figure: "确认", "是的", "对" (with trailing punctuation). */
export const CONFIRM_WORDS = /^(?:确认|确定|是的|是|对|对的|没错|无误|确认无误)[!！。.~～]*$/;

/** Whether the person has figures waiting for their 「确认」 in chat (expired ones too: they are told so). */
export async function hasHeldInChat(ctx: TextContext): Promise<boolean> {
  if (!ctx.staff?.active) return false;
  const held = await ctx.tx.progressPending.findFirst({
    where: { userId: ctx.staff.userId, channel: "CHAT" },
    select: { id: true },
  });
  return held !== null;
}

/**
 * When the bot last asked this person to 「确认」 a figure in chat (the newest one waiting, expired or not), or null:
 * another flow asking for 「确认」 too lets the latest question win.
 */
export async function heldInChatSince(tx: TextContext["tx"], userId: string): Promise<Date | null> {
  const held = await tx.progressPending.findFirst({
    where: { userId, channel: "CHAT" },
    orderBy: { createdAt: "desc" },
    select: { createdAt: true },
  });
  return held?.createdAt ?? null;
}

/**
 * "确认" after the bot asked about a figure far above the target: stores what was held (within 30 minutes, while
 * its period is open) and deletes it. Returns false when nothing was held, so the message is read as usual.
 */
export async function confirmPendingInChat(ctx: TextContext, deps: ProgressChatDeps, at: Date): Promise<boolean> {
  const userId = ctx.staff!.userId;
  const held = await ctx.tx.progressPending.findMany({ where: { userId, channel: "CHAT" }, orderBy: { id: "asc" } });
  if (held.length === 0) return false;
  await ctx.tx.progressPending.deleteMany({ where: { userId, channel: "CHAT" } });
  const live = held.filter((p) => p.expiresAt.getTime() > at.getTime());
  if (live.length === 0) {
    await ctx.reply("待确认的数字已超过30分钟，没有记录。请重新发送本期完成数字。");
    return true;
  }
  const plans = new Map(
    (await ctx.tx.plan.findMany({ where: { id: { in: live.map((p) => p.planId) } } })).map((p) => [p.id, p]),
  );
  const stored: string[] = [];
  const notes: string[] = [];
  for (const p of live) {
    const plan = plans.get(p.planId);
    if (!plan) continue;
    const refWord = periodRefWordAt(p.period, { cadence: plan.cadence, timezone: plan.timezone, at });
    if (!isPeriodOpen(p.period, at, plan.timezone, deps.calendar)) {
      await ctx.reply(
        closedText(p.period, refWord, periodClosesAt(p.period, plan.timezone, deps.calendar), plan.timezone),
      );
      return true;
    }
    const figures: ReportFigures = {
      plan,
      userId,
      period: p.period,
      amount: p.amount,
      ...(p.newCustomers === null ? {} : { newCustomers: p.newCustomers }),
      ...(p.note ? { note: p.note } : {}),
    };
    const evaluated = await storeChatReport(ctx, deps, { figures, at, origin: p.origin });
    if (evaluated) notes.push(evaluated);
    const echo: Figure[] = [{ metric: plan.metric, amount: p.amount, text: "" }];
    if (p.newCustomers !== null) echo.push({ metric: "NEW_CUSTOMERS", amount: BigInt(p.newCustomers), text: "" });
    const previous = refWord === periodRefWord(plan.cadence, "previous");
    stored.push(reportedLine(p.period, previous ? refWord : undefined, echo));
  }
  await ctx.reply([`已确认并记录：${stored.join("；")}。如需更正，直接回复“改成30万”。`, ...notes].join("\n"));
  return true;
}

/**
 * Stores a chat report and settles the person's prompt card for that period, if one was sent. For a period
 * already evaluated the figure is history only: the card keeps its 已评估, and the answer is the sentence that
 * says so (to add to the reply), else undefined.
 */
export async function storeChatReport(
  ctx: TextContext,
  deps: ProgressChatDeps,
  a: { figures: ReportFigures; at: Date; origin: string; planOwned?: boolean },
): Promise<string | undefined> {
  const { figures: f } = a;
  // Whether the person's prompt card for the period was sent is asked with the insert (one round trip less).
  const card = progressCardId(f.plan.id, f.period, f.userId);
  const { evaluatedAt, sent } = await storeReport(ctx.tx, f, {
    source: "chat",
    origin: a.origin,
    sql: ctx.sql,
    askSent: card,
    ...(a.planOwned ? { planOwned: true } : {}),
  });
  const { cadence, timezone } = f.plan;
  if (evaluatedAt)
    return evaluatedText(f.period, periodRefWordAt(f.period, { cadence, timezone, at: a.at }), evaluatedAt, timezone);
  await updatePromptCard(ctx, deps.outbound, {
    ...(sent === undefined ? {} : { sent }),
    planId: f.plan.id,
    period: f.period,
    userId: f.userId,
    report: {
      amount: f.amount,
      ...(f.newCustomers === undefined ? {} : { newCustomers: BigInt(f.newCustomers) }),
      ...(f.note ? { note: f.note } : {}),
    },
    at: a.at,
    timezone: f.plan.timezone,
    calendar: deps.calendar,
    key: `msg:${ctx.event.msgId}`,
  });
  return undefined;
}
