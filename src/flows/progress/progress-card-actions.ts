import { ZProgressCardAction } from "../../../cards/card-action.ts";
import { progressCardReported } from "../../../cards/progress.ts";
import type { AppDeps } from "../../app-deps.ts";
import type { Tx } from "../../db/database.ts";
import { type CardContext, type CardUpdate, cardParamsUpdate, noticeUpdate } from "../../dingtalk/bot.ts";
import { formatAmountExact } from "../../domain/format-amount.ts";
import { metricUnit } from "../../domain/metric.ts";
import { type AmountResult, parseAmount, parseCount } from "../../domain/parse-amount.ts";
import { isPeriodOpen, periodClosesAt, periodRefWordAt } from "../../domain/period-open.ts";
import { AppError } from "../../lib/errors.ts";
import { parseProgressCardId } from "./progress-card-id.ts";
import {
  closedText,
  evaluatedText,
  holdReport,
  promptInputFor,
  type ReportFigures,
  sameFigures,
  storeReport,
  timesTarget,
  timesTargetText,
} from "./progress-report.ts";

type Deps = Pick<AppDeps, "db" | "config" | "calendar">;

/**
 * A confirming re-submission must come at least this long after the figure was held: a double tap on 提交 is two
 * pushes with the same params a moment apart, and must not confirm a figure nobody looked at twice.
 */
const MIN_CONFIRM_GAP_MS = 3_000;

/**
 * 提交 / 修改 on progress prompt cards (docs/domain.md "Progress", §4 card actions). Only the owner may report, only while the period is open (until it is evaluated), with the same rules as in
 * chat: the amount is read like a chat amount ("35万"), a negative one is refused, and one far above the period
 * target is stored only when submitted again (a card has no "确认" reply). The report is a SELF_REPORT (latest
 * wins, history kept); the card answers 「已提交：…」. A repeated identical click is one effect: the bot core
 * dedupes it by card, user and params.
 */
export async function handleProgressCardAction(deps: Deps, ctx: CardContext, at: Date): Promise<CardUpdate> {
  const { plan, ids, action, refWord } = await acceptClick(deps, ctx, at);
  const figures: ReportFigures = {
    plan,
    userId: ids.userId,
    period: ids.period,
    amount: readFigure(action.amount, plan.metric === "NEW_CUSTOMERS" ? "count" : "amount"),
    ...(action.newCustomers === undefined
      ? {}
      : { newCustomers: Number(readFigure(action.newCustomers, "customers")) }),
    ...(action.note ? { note: action.note } : {}),
  };
  const input = await promptInputFor(ctx.tx, { ...ids, calendar: deps.calendar });
  if (!input) throw new AppError("CONFLICT", `你在计划“${plan.name}”中已没有目标，无需填报`);
  const times = timesTarget(figures.amount, input.periodTarget, deps.config.progressConfirmMultiple);
  if (times !== undefined && !(await confirmedBefore(ctx.tx, figures, at))) {
    return askToConfirm(ctx, figures, { at, refWord, periodTarget: input.periodTarget, times });
  }
  const { evaluatedAt } = await storeReport(ctx.tx, figures, { source: "card", origin: `card:${ctx.event.messageId}` });
  await ctx.tx.progressPending.deleteMany({ where: { userId: ids.userId, planId: plan.id, period: ids.period } });
  ctx.log.info({ planId: plan.id, period: ids.period, amount: figures.amount.toString() }, "progress reported on card");
  // Evaluated already (an evaluation run before the close): kept as history, the card keeps its verdict.
  if (evaluatedAt) return noticeUpdate(evaluatedText(ids.period, refWord, evaluatedAt, plan.timezone));
  const report = {
    amount: figures.amount,
    ...(figures.newCustomers === undefined ? {} : { newCustomers: BigInt(figures.newCustomers) }),
    ...(figures.note ? { note: figures.note } : {}),
  };
  return cardParamsUpdate(progressCardReported(input, report, at, plan.timezone), ids.userId);
}

/** Which card, plan and period the click is about, once it is the owner's, on a published plan, in time. */
async function acceptClick(deps: Deps, ctx: CardContext, at: Date) {
  const ids = parseProgressCardId(ctx.event.outTrackId);
  if (!ids) throw new AppError("VALIDATION", "无法识别这张进度卡片");
  const parsed = ZProgressCardAction.safeParse(ctx.event.params);
  if (!parsed.success) throw new AppError("VALIDATION", parsed.error.issues[0]?.message ?? "按钮参数无效");
  const plan = await ctx.tx.plan.findUnique({ where: { id: ids.planId } });
  if (!plan) throw new AppError("NOT_FOUND", "这张卡片对应的计划已不存在");
  if (ctx.event.userId !== ids.userId) {
    const owner = await ctx.tx.staff.findUnique({ where: { userId: ids.userId }, select: { name: true } });
    throw new AppError("CONFLICT", `这是${owner?.name ?? ids.userId}的进度卡片，只有本人可以填报`);
  }
  if (plan.status !== "PUBLISHED") {
    const why = plan.status === "CLOSED" ? "已结束" : "尚未发布";
    throw new AppError("CONFLICT", `计划“${plan.name}”${why}，不接受填报`);
  }
  const refWord = periodRefWordAt(ids.period, { cadence: plan.cadence, timezone: plan.timezone, at });
  if (!isPeriodOpen(ids.period, at, plan.timezone, deps.calendar)) {
    const closedAt = periodClosesAt(ids.period, plan.timezone, deps.calendar);
    throw new AppError("CONFLICT", closedText(ids.period, refWord, closedAt, plan.timezone));
  }
  return { plan, ids, action: parsed.data, refWord };
}

const FIGURE_WORDS = { amount: "完成金额", count: "完成数", customers: "新客户数" } as const;

/** Reads what was typed into a form field like a chat amount; refuses with the reason, as in chat. */
function readFigure(typed: string, kind: keyof typeof FIGURE_WORDS): bigint {
  const result: AmountResult = kind === "amount" ? parseAmount(typed) : parseCount(typed);
  if (result.ok) return result.value;
  const label = FIGURE_WORDS[kind];
  const why: Record<typeof result.reason, string> = {
    NEGATIVE: `${label}不能是负数（“${typed}”）。如果本期没有成交，请填 0`,
    FRACTIONAL_YUAN: kind === "amount" ? `${label}请精确到元（“${typed}”）` : `${label}请填整数（“${typed}”）`,
    TOO_LARGE: `“${typed}”超出了可登记的范围，请检查是否多输了几位`,
    EMPTY: `请填写${label}`,
    NOT_A_NUMBER: `${label}“${typed}”无法识别，请填写如 35万 或 350000`,
  };
  throw new AppError("VALIDATION", why[result.reason]);
}

/** The same figure was held from an earlier submission on this card, long enough ago and not yet expired. */
async function confirmedBefore(tx: Tx, f: ReportFigures, at: Date): Promise<boolean> {
  const held = await tx.progressPending.findUnique({
    where: { userId_planId_period: { userId: f.userId, planId: f.plan.id, period: f.period } },
  });
  if (held?.channel !== "CARD" || !sameFigures(held, f)) return false;
  const age = at.getTime() - held.createdAt.getTime();
  return age >= MIN_CONFIRM_GAP_MS && at.getTime() < held.expiresAt.getTime();
}

/**
 * Holds the figure and asks for the same submission again. The choice is released (`ctx.releaseChoice`): the
 * same params must be able to come back as the confirmation, while a redelivery of this click stays a
 * duplicate and never counts as one. A double tap within {@link MIN_CONFIRM_GAP_MS} only repeats the question.
 */
async function askToConfirm(
  ctx: CardContext,
  f: ReportFigures,
  a: { at: Date; refWord: string; periodTarget: bigint; times: number },
): Promise<CardUpdate> {
  const held = await ctx.tx.progressPending.findUnique({
    where: { userId_planId_period: { userId: f.userId, planId: f.plan.id, period: f.period } },
  });
  const fresh = held?.channel === "CARD" && sameFigures(held, f) && a.at.getTime() < held.expiresAt.getTime();
  if (!fresh) await holdReport(ctx.tx, { ...f, channel: "CARD", origin: `card:${ctx.event.messageId}`, at: a.at });
  await ctx.releaseChoice();
  const amountText = formatAmountExact(f.amount, metricUnit(f.plan.metric));
  const why = timesTargetText({ amountText, refWord: a.refWord, periodTarget: a.periodTarget, times: a.times });
  return noticeUpdate(`${why}，尚未记录。确认无误请在30分钟内再次提交相同数字，否则请修改后提交。`);
}
