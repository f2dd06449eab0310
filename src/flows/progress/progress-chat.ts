import type { AppDeps } from "../../app-deps.ts";
import type { Bot } from "../../dingtalk/inbound/create-bot.ts";
import type { TextContext } from "../../dingtalk/inbound/inbound-types.ts";
import { localDate, periodKey } from "../../domain/calendar.ts";
import { formatFigureEcho } from "../../domain/format-amount.ts";
import { type Figure, parseProgressMessage } from "../../domain/parse-progress.ts";
import { AppError } from "../../lib/errors.ts";
import { recordProgress } from "./record-progress.ts";

export const PROGRESS_HELP = [
  "直接回复本期完成情况即可，例如：",
  "· 本周完成35万",
  "· 本周回款12万，新客户2家",
  "· 改成30万（更正本期数字）",
  "金额可写 35万 / 35w / 三十五万 / 350,000。",
].join("\n");

/** Progress reported in chat (DESIGN §2 Progress): "本周完成35万，新客户2家" → stored for the current period. */
export function registerProgressChat(bot: Bot, deps: Pick<AppDeps, "db">, now: () => Date = () => new Date()): void {
  bot.onText((ctx) => handleProgressText(ctx, deps, now()));
}

/**
 * Reads the message with the domain parser; a report is stored (latest wins, history kept) for every published
 * plan in which the person owns a target and whose metric the message gives, in that plan's current period,
 * and echoed back so the person sees what was understood. Help, nonsense and invalid figures get a reply and
 * store nothing.
 */
export async function handleProgressText(ctx: TextContext, _deps: Pick<AppDeps, "db">, at: Date): Promise<void> {
  if (ctx.event.conversationType !== "1") return; // progress is reported in the 1:1 chat with the bot
  if (!ctx.staff?.active)
    throw new AppError("NOT_FOUND", "系统里还没有你的员工信息，请联系管理员导入组织架构后再填报。");
  const parsed = parseProgressMessage(ctx.event.text);
  if (parsed.kind === "help") return ctx.reply(PROGRESS_HELP);
  if (parsed.kind === "unrecognized") return ctx.reply(`没看懂这条消息。${PROGRESS_HELP}`);
  if (parsed.kind === "invalid") return ctx.reply(parsed.message);
  const plans = await ctx.tx.plan.findMany({
    where: { status: "PUBLISHED", targets: { some: { ownerUserId: ctx.staff.userId, state: { not: "ARCHIVED" } } } },
    orderBy: { createdAt: "asc" },
  });
  if (plans.length === 0) return ctx.reply("你目前没有已发布的目标，暂时不需要填报进度。");
  const stored: string[] = [];
  for (const plan of plans) {
    const main = parsed.figures.find((f) => f.metric === plan.metric);
    if (!main) continue;
    const customers = parsed.figures.find((f) => f.metric === "NEW_CUSTOMERS" && plan.metric !== "NEW_CUSTOMERS");
    const period = periodKey(plan.cadence, localDate(at, plan.timezone));
    await recordProgress(
      ctx.tx,
      [
        {
          userId: ctx.staff.userId,
          planId: plan.id,
          period,
          amount: main.amount,
          ...(customers ? { newCustomers: Number(customers.amount) } : {}),
          ...(parsed.note ? { note: parsed.note.slice(0, 500) } : {}),
          source: "SELF_REPORT",
        },
      ],
      `msg:${ctx.event.msgId}`,
    );
    stored.push(`${period} ${formatFigureEcho(customers ? [main, customers] : [main])}`);
  }
  if (stored.length === 0) return ctx.reply(missingMetricReply(parsed.figures, plans[0]!.metric));
  const verb = parsed.correction ? "已更正" : "已记录";
  return ctx.reply(`${verb}：${stored.join("；")}。如需更正，直接回复“改成30万”。`);
}

const METRIC_ZH = { REVENUE: "销售额", COLLECTION: "回款", GROSS_PROFIT: "毛利", NEW_CUSTOMERS: "新客户数" } as const;

function missingMetricReply(figures: Figure[], metric: keyof typeof METRIC_ZH): string {
  return `你的目标考核${METRIC_ZH[metric]}，这条消息里只有 ${formatFigureEcho(figures)}。请补充${METRIC_ZH[metric]}，例如：本周${METRIC_ZH[metric]}35万。`;
}
