// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import { z } from "zod";
import { formatAttainment } from "../src/domain/attainment.ts";
import { formatAmountExact, formatAmountShort } from "../src/domain/format-amount.ts";
import { metricLabel, metricUnit, ZMetric } from "../src/domain/metric.ts";
import { formatPeriod, periodUnit } from "../src/domain/period-words.ts";
import { ZAmountValue } from "../src/domain/z-amount.ts";
import type { CardFormField, CardParams } from "./card-definition.ts";
import { defineCard } from "./card-definition.ts";
import { metricValue, ZOptionalText, ZPeriodKey, ZPerson } from "./card-input.ts";
import type { PublicValues } from "./card-params.ts";
import { encodeCardParams } from "./card-params.ts";
import { oneLine, truncateUtf8 } from "./fit-text.ts";
import { DEFAULT_TIME_ZONE, formatDateTime } from "./format.ts";

const reportForm: readonly CardFormField[] = [
  { name: "amount", label: "本期完成", type: "amount", required: true, placeholder: "例如：35万" },
  { name: "newCustomers", label: "新客户数", type: "number", required: false, placeholder: "例如：2" },
  { name: "note", label: "备注", type: "text", required: false },
];

/** The periodic progress prompt (docs/domain.md "Progress"), answered on the card or in chat. */
export const progressCard = defineCard({
  id: "progress",
  title: "进度填报",
  templateIdConfigKey: "DINGTALK_CARD_TEMPLATE_PROGRESS",
  heading: "${periodText} 进度填报",
  variables: {
    ownerName: { type: "string", scope: "public", description: "负责人姓名" },
    periodText: { type: "string", scope: "public", description: "周期及日期，如「2026-W14 (3/30–4/5)」" },
    periodUnit: { type: "string", scope: "public", description: "周期单位：周 / 月 / 季度" },
    metricLabel: { type: "string", scope: "public", description: "指标名称，如「销售额」" },
    periodTargetText: { type: "string", scope: "public", description: "本期目标，如「7万」" },
    ytdActualText: { type: "string", scope: "public", description: "年度累计完成，如「76万」" },
    ytdTargetText: { type: "string", scope: "public", description: "年度累计应完成（截至上期），如「89万」" },
    ytdAttainmentText: { type: "string", scope: "public", description: "年度累计达成率，如「85%」" },
    runRateText: { type: "string", scope: "public", description: "完成全年目标所需的节奏，如「每周需完成 8.82万…」" },
    dueText: { type: "string", scope: "public", description: "填报截止时间；没有时为空" },
    status: { type: "string", scope: "public", description: "状态：pending | reported | closed（已评估）" },
    statusText: { type: "string", scope: "public", description: "状态说明，如「已提交：35万元（11月23日 16:05）」" },
    canAct: { type: "boolean", scope: "private", description: "仅负责人为 true：显示填报表单" },
    noticeText: { type: "string", scope: "private", description: "仅点击者可见的一行提示：操作为何未生效，或已处理过" },
  },
  layout: [
    { text: "${ownerName} · ${metricLabel}" },
    { text: "本${periodUnit}目标：**${periodTargetText}**" },
    { text: "年度累计：${ytdActualText} / ${ytdTargetText}（达成 ${ytdAttainmentText}）" },
    { text: "${runRateText}" },
    { text: "${dueText}", visibleWhen: "status == 'pending'" },
    { text: "${statusText}" },
    { text: "${noticeText}" },
  ],
  buttons: [
    {
      id: "submit",
      label: "提交",
      actionParams: { action: "report" },
      form: reportForm,
      visibleWhen: "status == 'pending' && canAct",
    },
    // Corrections are allowed until the period is evaluated (latest wins, history kept), as in chat "改成30万".
    {
      id: "correct",
      label: "修改",
      actionParams: { action: "report" },
      form: reportForm,
      visibleWhen: "status == 'reported' && canAct",
    },
  ],
  links: [],
  states: {
    pending: { label: "待填报", description: "等待负责人填报本期完成" },
    reported: { label: "已提交", description: "已填报，评估前仍可修改" },
    closed: { label: "已评估", description: "本期已评估，显示评估结果，不再接受填报" },
  },
});

export const ZProgressCardInput = z.object({
  owner: ZPerson,
  metric: ZMetric,
  period: ZPeriodKey,
  periodTarget: ZAmountValue,
  annualTarget: ZAmountValue,
  ytdActual: ZAmountValue,
  /** What should have been done by the start of this period (from the phasing). */
  ytdTarget: ZAmountValue,
  /** Per period of the plan's cadence, computed by the domain from what is left and the remaining workdays. */
  requiredRunRate: ZAmountValue,
  /** When the period is evaluated; answers are accepted until then. */
  dueAt: z.date().optional(),
});
export type TProgressCardInput = z.infer<typeof ZProgressCardInput>;

export const ZProgressReport = z.object({
  amount: ZAmountValue,
  newCustomers: ZAmountValue.optional(),
  note: ZOptionalText,
});
export type TProgressReport = z.infer<typeof ZProgressReport>;

function publicValues(
  p: TProgressCardInput,
  status: string,
  statusText: string,
  timeZone: string,
): PublicValues<typeof progressCard.variables> {
  const unit = periodUnit(p.period);
  const left = p.annualTarget > p.ytdActual;
  return {
    ownerName: truncateUtf8(oneLine(p.owner.name), 90),
    periodText: formatPeriod(p.period),
    periodUnit: unit,
    metricLabel: metricLabel(p.metric),
    periodTargetText: formatAmountShort(p.periodTarget),
    ytdActualText: formatAmountShort(p.ytdActual),
    ytdTargetText: formatAmountShort(p.ytdTarget),
    ytdAttainmentText: formatAttainment(p.ytdActual, p.ytdTarget),
    runRateText: left
      ? `每${unit}需完成 ${formatAmountShort(p.requiredRunRate)}，才能达成全年 ${formatAmountShort(p.annualTarget)}`
      : `全年 ${formatAmountShort(p.annualTarget)} 已完成`,
    dueText: p.dueAt ? `请在 ${formatDateTime(p.dueAt, timeZone)} 前填报` : "",
    status,
    statusText,
  };
}

function build(p: TProgressCardInput, status: string, statusText: string, timeZone: string): CardParams {
  return encodeCardParams(progressCard, publicValues(p, status, statusText, timeZone), {
    [p.owner.userId]: { canAct: true, noticeText: "" },
  });
}

/** The prompt sent when a period is due. */
export function buildProgressCard(input: TProgressCardInput, timeZone = DEFAULT_TIME_ZONE): CardParams {
  const p = ZProgressCardInput.parse(input);
  return build(p, "pending", `请填报本${periodUnit(p.period)}${metricLabel(p.metric)}`, timeZone);
}

/**
 * After a report (card, chat or correction): "已提交：35万元，新客户 2家（11月23日 16:05）". The figures are said
 * back exactly, as in the chat echo: the person checks what the bot keeps, so it never rounds here.
 */
export function progressCardReported(
  input: TProgressCardInput,
  report: TProgressReport,
  at: Date,
  timeZone = DEFAULT_TIME_ZONE,
): CardParams {
  const p = ZProgressCardInput.parse(input);
  const r = ZProgressReport.parse(report);
  const customers = r.newCustomers === undefined ? "" : `，新客户 ${formatAmountExact(r.newCustomers, "COUNT")}`;
  const amount = formatAmountExact(r.amount, metricUnit(p.metric));
  const text = `已提交：${amount}${customers}（${formatDateTime(at, timeZone)}）`;
  return build(p, "reported", text, timeZone);
}

/** The verdict of a period's evaluation, as the prompt card shows it (a period_evaluation row). */
export const ZProgressVerdict = z.object({
  status: z.enum(["MET", "MISSED", "EXCUSED"]),
  reason: z.enum(["BELOW_TARGET", "NO_REPORT", "NO_WORKDAYS", "BEFORE_PUBLISH", "ON_LEAVE"]).nullable(),
  /** The figure in force at evaluation; null when nothing was reported. */
  actual: ZAmountValue.nullable(),
});
export type TProgressVerdict = z.infer<typeof ZProgressVerdict>;

/** Why a period did not count, in words (the EXCUSED reasons of docs/domain.md "Evaluation and escalation"). */
const EXCUSED_WORDS: Record<string, string> = {
  NO_WORKDAYS: "本期没有工作日",
  BEFORE_PUBLISH: "目标在本期开始后才发布",
  ON_LEAVE: "休假",
};

/**
 * After evaluation (docs/domain.md "Progress"): the card says the verdict — 「已评估：完成 8.6万元，达成 123%」,
 * 「已评估：完成 5万元，71%，未达标」, 「已评估：未填报」, 「已评估：免考核（休假）」 — and takes no more figures (state
 * `closed`: no button is visible). `input` is what the card showed, with the period target evaluated against.
 */
export function progressCardEvaluated(
  input: TProgressCardInput,
  verdict: TProgressVerdict,
  timeZone = DEFAULT_TIME_ZONE,
): CardParams {
  const p = ZProgressCardInput.parse(input);
  const v = ZProgressVerdict.parse(verdict);
  return build(p, "closed", `已评估：${verdictWords(p, v)}`, timeZone);
}

function verdictWords(p: TProgressCardInput, v: TProgressVerdict): string {
  if (v.status === "EXCUSED") return `免考核（${EXCUSED_WORDS[v.reason ?? ""] ?? "不计入考核"}）`;
  if (v.actual === null) return "未填报";
  const done = `完成 ${metricValue(v.actual, p.metric)}`;
  const pct = formatAttainment(v.actual, p.periodTarget);
  return v.status === "MET" ? `${done}，达成 ${pct}` : `${done}，${pct}，未达标`;
}

/** 李娜's prompt for 2026-W14 (the Qingming week): 76万 done of 89万 expected by the end of Q1. */
export const progressCardFixture: TProgressCardInput = {
  owner: { userId: "lina01", name: "李娜" },
  metric: "REVENUE",
  period: "2026-W14",
  periodTarget: 70_000n,
  annualTarget: 4_200_000n,
  ytdActual: 760_000n,
  ytdTarget: 890_000n,
  requiredRunRate: 88_200n,
  dueAt: new Date("2026-04-07T04:00:00Z"),
};

/** What 李娜 reports for that week. */
export const progressReportFixture: TProgressReport = { amount: 86_000n, newCustomers: 1n, note: "华润项目回款提前" };
