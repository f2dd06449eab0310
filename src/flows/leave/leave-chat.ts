import type { AppDeps } from "../../app-deps.ts";
import type { Intent, TextContext } from "../../dingtalk/bot.ts";
import { formatLeaveRange } from "../../domain/leave-dates.ts";
import { type LeaveMessage, parseLeaveMessage } from "../../domain/parse-leave.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { AppError } from "../../lib/errors.ts";
import { readChatMessage } from "../read-chat-message.ts";
import { cancelLeave, recordLeave } from "./leave-service.ts";

export const LEAVE_HELP = [
  "请假直接告诉我日期，例如：",
  "· 明天请假",
  "· 下周休假",
  "· 12月8日到12月12日请假（或 12/8-12/12 年假）",
  "· 取消休假（取消当前或最近的一次）",
  "休假期间不会提醒你填报进度。",
].join("\n");

export type LeaveChatDeps = Pick<AppDeps, "db" | "config" | "calendar" | "now">;

interface Reading {
  today: string;
  message: LeaveMessage;
}

/**
 * Leave in the 1:1 chat (docs/domain.md "Leave"): 「下周休假」 records a leave and echoes the dates understood,
 * 「取消休假」 cancels the current or next one. A message with a progress figure is never read as leave, so this
 * flow may be tried before progress: 「本周完成35万，下周休假」 stays a report, while 「12.8-12.12请假」 (which the
 * progress parser would refuse as 12.8 yuan) is leave.
 */
export function leaveIntents(deps: LeaveChatDeps): Intent[] {
  const read = new WeakMap<TextContext["event"], Reading>();
  const reading = (ctx: TextContext): Reading | undefined => {
    if (ctx.event.conversationType !== "1" || readChatMessage(ctx.event).kind === "report") return undefined;
    let r = read.get(ctx.event);
    if (!r) {
      const today = localDate(deps.now(), deps.config.timezone);
      r = { today, message: parseLeaveMessage(ctx.event.text, today, deps.calendar) };
      read.set(ctx.event, r);
    }
    return r;
  };
  return [
    {
      name: "leave.cancel",
      match: (ctx) => reading(ctx)?.message.kind === "cancel",
      handle: async (ctx) => {
        const userId = staffOf(ctx);
        const { today } = reading(ctx)!;
        const leave = await cancelLeave(ctx.tx, { userId, today }).catch((err: unknown) => {
          if (err instanceof AppError && err.code === "NOT_FOUND") return undefined;
          throw err;
        });
        if (!leave) return ctx.reply("你目前没有可以取消的休假。");
        return ctx.reply(`已取消你的休假：${formatLeaveRange(leave, today)}。`);
      },
    },
    {
      name: "leave.record",
      match: (ctx) => {
        const kind = reading(ctx)?.message.kind;
        return kind === "leave" || kind === "invalid";
      },
      handle: async (ctx) => {
        const { today, message } = reading(ctx)!;
        if (message.kind === "invalid") return ctx.reply(message.message);
        if (message.kind !== "leave") return;
        const { from, to, reason } = message;
        const { leave, created } = await recordLeave(ctx.tx, {
          userId: staffOf(ctx),
          from,
          to,
          reason,
          source: "CHAT",
          today,
        });
        const range = formatLeaveRange(leave, today);
        if (!created) return ctx.reply(`这段休假已经记录过了：${range}。`);
        return ctx.reply(`已记录你的休假：${range}，期间不会提醒你填报。`);
      },
    },
  ];
}

function staffOf(ctx: TextContext): string {
  if (!ctx.staff?.active)
    throw new AppError("NOT_FOUND", "系统里还没有你的员工信息，请联系管理员导入组织架构后再请假。");
  return ctx.staff.userId;
}
