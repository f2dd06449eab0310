import type { AppDeps } from "../../app-deps.ts";
import type { Intent, TextContext } from "../../dingtalk/bot.ts";
import { formatFigureEcho } from "../../domain/format-amount.ts";
import { type Metric, metricLabel } from "../../domain/metric.ts";
import type { Figure, ParsedMessage } from "../../domain/parse-progress.ts";
import { reportPeriod } from "../../domain/period-open.ts";
import { cadenceUnit, periodRefWord } from "../../domain/period-words.ts";
import { AppError } from "../../lib/errors.ts";
import { readChatMessage } from "../read-chat-message.ts";
import { CONFIRM_WORDS, confirmPendingInChat, hasHeldInChat, storeChatReport } from "./progress-chat-confirm.ts";
import {
  closedText,
  holdReport,
  periodTargetOf,
  type ReportFigures,
  type ReportPlan,
  reportablePlans,
  reportedLine,
  timesTarget,
  timesTargetText,
} from "./progress-report.ts";

export const PROGRESS_HELP = [
  "直接回复本期完成情况即可，例如：",
  "· 本周完成35万",
  "· 本周回款12万，新客户2家",
  "· 改成30万（更正本期数字）",
  "· 上周完成30万（补报上周，评估前有效）",
  "金额可写 35万 / 35w / 三十五万 / 350,000。",
  PROGRESS_ASK_HELP,
].join("\n");

import { PROGRESS_ASK_HELP, progressAskIntent } from "./progress-ask.ts";

export type ProgressChatDeps = Pick<AppDeps, "db" | "config" | "calendar" | "outbound" | "now">;

/** Progress is reported in the 1:1 chat with the bot. */
const inOneToOne = (ctx: TextContext) => ctx.event.conversationType === "1";

/**
 * Progress reported in chat (docs/domain.md "Progress"), in the order tried: 「确认」 while a figure waits for it, a
 * correction (「改成30万」), a report (「本周完成35万，新客户2家」) — or a figure the parser refused, answered with why.
 */
export function progressIntents(deps: ProgressChatDeps): Intent[] {
  const report = (ctx: TextContext) => handleProgressText(ctx, deps, deps.now());
  const reading = (ctx: TextContext) => (inOneToOne(ctx) ? readChatMessage(ctx.event) : undefined);
  return [
    progressAskIntent(deps),
    {
      name: "progress.confirm",
      match: async (ctx) => inOneToOne(ctx) && CONFIRM_WORDS.test(ctx.event.text.trim()) && (await hasHeldInChat(ctx)),
      handle: async (ctx) => void (await confirmPendingInChat(ctx, deps, deps.now())),
    },
    {
      name: "progress.correction",
      match: (ctx) => {
        const m = reading(ctx);
        return isReport(m) && m.correction;
      },
      handle: report,
    },
    { name: "progress.report", match: (ctx) => isReport(reading(ctx)), handle: report },
    { name: "progress.invalid", match: (ctx) => reading(ctx)?.kind === "invalid", handle: report },
  ];
}

function isReport(m: ParsedMessage | undefined): m is Extract<ParsedMessage, { kind: "report" }> {
  return m?.kind === "report";
}

/** One plan's reading of the message: what would be stored, and what stands in the way. */
interface PlanReport {
  figures: ReportFigures;
  echo: Figure[];
  ref: "current" | "previous";
  refWord: string;
  closedAt?: Date;
  times?: number;
  periodTarget: bigint;
}

/**
 * A report (or a refused figure) from the 1:1 chat; a report is stored (latest wins, history kept) for every published
 * plan in which the person owns a target and whose metric the message gives, in the period it names (the
 * current one, or "上周…" / "上月…" / "上季度…" — the period before, for plans of that cadence — while it is not
 * evaluated yet), and echoed back so the person sees what was
 * understood. A figure far above the period target is held until the person replies "确认". Invalid figures
 * and closed periods get a reply and store nothing.
 */
async function handleProgressText(ctx: TextContext, deps: ProgressChatDeps, at: Date): Promise<void> {
  if (!ctx.staff?.active)
    throw new AppError("NOT_FOUND", "系统里还没有你的员工信息，请联系管理员导入组织架构后再填报。");
  const userId = ctx.staff.userId;
  const parsed = readChatMessage(ctx.event);
  if (parsed.kind === "invalid") return ctx.reply(parsed.message);
  if (parsed.kind !== "report") return; // the intents' matchers let only reports and refused figures through
  // Any new figure replaces one still waiting for "确认" (deleted by the same statement).
  const plans = await reportablePlans(ctx.sql, userId, { clearHeld: true, withLeaves: true });
  if (plans.length === 0) return ctx.reply("你目前没有已发布的目标，暂时不需要填报进度。");
  const ref = parsed.period ?? "current";
  const reports: PlanReport[] = [];
  // 「上周…」 is about a week: only weekly plans have one; 「上月…」 only monthly ones (the period before, by cadence).
  const otherCadence: ReportPlan[] = [];
  for (const plan of plans) {
    const main = parsed.figures.find((f) => f.metric === plan.metric);
    if (!main) continue;
    const customers = parsed.figures.find((f) => f.metric === "NEW_CUSTOMERS" && plan.metric !== "NEW_CUSTOMERS");
    if (ref === "previous" && plan.cadence !== parsed.periodUnit) {
      otherCadence.push(plan);
      continue;
    }
    reports.push(await readForPlan(ctx, deps, { plan, userId, at, ref, main, customers, note: parsed.note }));
  }
  const [other] = otherCadence;
  if (reports.length === 0 && other) return ctx.reply(otherCadenceReply(other));
  if (reports.length === 0) return ctx.reply(missingMetricReply(parsed.figures, plans[0]!.metric));
  return settle(ctx, deps, { reports, at, correction: parsed.correction });
}

async function readForPlan(
  ctx: TextContext,
  deps: ProgressChatDeps,
  a: {
    plan: ReportPlan;
    userId: string;
    at: Date;
    ref: "current" | "previous";
    main: Figure;
    customers: Figure | undefined;
    note: string | undefined;
  },
): Promise<PlanReport> {
  const { plan } = a;
  const p = reportPeriod({
    cadence: plan.cadence,
    timezone: plan.timezone,
    at: a.at,
    ref: a.ref,
    calendar: deps.calendar,
  });
  const figures: ReportFigures = {
    plan,
    userId: a.userId,
    period: p.period,
    amount: a.main.amount,
    ...(a.customers ? { newCustomers: Number(a.customers.amount) } : {}),
    ...(a.note ? { note: a.note } : {}),
  };
  const periodTarget = await periodTargetOf(ctx.tx, {
    plan,
    userId: a.userId,
    period: p.period,
    calendar: deps.calendar,
  });
  const times = timesTarget(a.main.amount, periodTarget, deps.config.progressConfirmMultiple);
  return {
    figures,
    echo: a.customers ? [a.main, a.customers] : [a.main],
    ref: a.ref,
    refWord: periodRefWord(plan.cadence, a.ref),
    periodTarget,
    ...(p.open ? {} : { closedAt: p.closesAt }),
    ...(times === undefined ? {} : { times }),
  };
}

/** Closed periods are refused; absurd figures hold the whole message until "确认"; otherwise it is stored. */
async function settle(
  ctx: TextContext,
  deps: ProgressChatDeps,
  a: { reports: PlanReport[]; at: Date; correction: boolean },
): Promise<void> {
  const closed = a.reports.find((r) => r.closedAt);
  if (closed?.closedAt)
    return ctx.reply(closedText(closed.figures.period, closed.refWord, closed.closedAt, closed.figures.plan.timezone));
  const absurd = a.reports.filter((r) => r.times !== undefined);
  if (absurd.length > 0) {
    const origin = `msg:${ctx.event.msgId}`;
    for (const r of a.reports) await holdReport(ctx.tx, { ...r.figures, channel: "CHAT", origin, at: a.at });
    const why = absurd.map((r) =>
      timesTargetText({
        amountText: formatFigureEcho([r.echo[0]!]),
        refWord: r.refWord,
        periodTarget: r.periodTarget,
        times: r.times!,
      }),
    );
    return ctx.reply(`${why.join("；")}，确认无误请回复“确认”，否则直接发送正确数字。`);
  }
  const stored: string[] = [];
  const notes: string[] = [];
  for (const r of a.reports) {
    const evaluated = await storeChatReport(ctx, deps, {
      figures: r.figures,
      at: a.at,
      origin: `msg:${ctx.event.msgId}`,
      planOwned: true, // r.figures.plan is from reportablePlans, read in this transaction
    });
    if (evaluated) notes.push(evaluated);
    stored.push(reportedLine(r.figures.period, r.ref === "previous" ? r.refWord : undefined, r.echo));
  }
  const verb = a.correction ? "已更正" : "已记录";
  return ctx.reply([`${verb}：${stored.join("；")}。如需更正，直接回复“改成30万”。`, ...notes].join("\n"));
}

/** 「计划“…”按月跟进，补报上个月请发“上月完成35万”，本月的直接发“本月完成35万”。」 */
function otherCadenceReply(plan: ReportPlan): string {
  const previous = periodRefWord(plan.cadence, "previous");
  const current = periodRefWord(plan.cadence, "current");
  return `计划“${plan.name}”按${cadenceUnit(plan.cadence)}跟进，补报请发“${previous}完成35万”，${current}的直接发“${current}完成35万”。未记录。`;
}

function missingMetricReply(figures: Figure[], metric: Metric): string {
  const word = `${metricLabel(metric)}${metric === "NEW_CUSTOMERS" ? "数" : ""}`; // 「考核新客户数」
  return `你的目标考核${word}，这条消息里只有 ${formatFigureEcho(figures)}。请补充${word}，例如：本周${word}35万。`;
}
