// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import { z } from "zod";
import { formatAttainment, percentOf } from "../src/domain/attainment.ts";
import { formatAmountShort } from "../src/domain/format-amount.ts";
import { metricLabel, ZMetric } from "../src/domain/metric.ts";
import { formatPeriod, periodUnit } from "../src/domain/period-words.ts";
import { ZAmountValue } from "../src/domain/z-amount.ts";
import type { CardParams } from "./card-definition.ts";
import { defineCard } from "./card-definition.ts";
import { ZPeriodKey, ZText } from "./card-input.ts";
import type { PublicValues } from "./card-params.ts";
import { encodeCardParams } from "./card-params.ts";
import { fitList, MAX_VALUE_BYTES, oneLine, truncateUtf8, utf8Bytes } from "./fit-text.ts";

/** The Monday digest for a director (company) or a manager (subtree), docs/domain.md "Digest". */
export const digestCard = defineCard({
  id: "digest",
  title: "目标周报",
  templateIdConfigKey: "DINGTALK_CARD_TEMPLATE_DIGEST",
  notSentBecause:
    "周报目前以 markdown 文字加一张图表图片发送（src/flows/digest/），不用这张卡片；保留它是为了以后改回卡片时模板已有定义",
  heading: "${headline}",
  variables: {
    headline: { type: "string", scope: "public", description: "如「目标周报 · 全公司 · 2026-W15 (4/6–4/12)」" },
    exceptionCount: { type: "number", scope: "public", description: "异常项总数" },
    exceptionsText: {
      type: "markdown",
      scope: "public",
      description: "异常清单（连续未达标、未填报、未确认…），每行一项",
    },
    ytdText: { type: "string", scope: "public", description: "年度累计完成 / 应完成（达成率，较上期变化）" },
    lastPeriodText: { type: "string", scope: "public", description: "上期完成与应完成" },
    projectionText: { type: "string", scope: "public", description: "按当前节奏的全年预测" },
    runRateText: { type: "string", scope: "public", description: "完成全年目标所需的节奏" },
    breakdownText: { type: "markdown", scope: "public", description: "按区域 / 产品线的累计达成，每行一项" },
    freshnessText: { type: "string", scope: "public", description: "数据完整度（已填报比例）" },
    healthText: { type: "string", scope: "public", description: "机器人健康：未送达消息" },
    dashboardUrl: { type: "string", scope: "public", description: "仪表盘链接" },
  },
  layout: [
    { text: "**需要关注（${exceptionCount}）**", visibleWhen: "exceptionCount != '0'" },
    { text: "${exceptionsText}" },
    { text: "本期无异常", visibleWhen: "exceptionCount == '0'" },
    { text: "${ytdText}" },
    { text: "${lastPeriodText}" },
    { text: "${projectionText}" },
    { text: "${runRateText}" },
    { text: "${breakdownText}" },
    { text: "${freshnessText}" },
    { text: "${healthText}" },
  ],
  buttons: [],
  links: [{ id: "dashboard", label: "打开仪表盘", urlVariable: "dashboardUrl" }],
  states: {},
});

const ZExceptionKind = z.enum([
  "STREAK",
  "NO_REPORT",
  "UNCONFIRMED",
  "STALE_APPROVAL",
  "OPEN_ESCALATION",
  "NEEDS_REASSIGNMENT",
]);

const EXCEPTION_LABEL: Record<z.infer<typeof ZExceptionKind>, string> = {
  STREAK: "连续未达标",
  NO_REPORT: "未填报",
  UNCONFIRMED: "目标未确认",
  STALE_APPROVAL: "审批超时",
  OPEN_ESCALATION: "升级未关闭",
  NEEDS_REASSIGNMENT: "待重新分配",
};

const ZRow = z.object({
  name: ZText,
  ytdActual: ZAmountValue,
  ytdTarget: ZAmountValue,
  /** Change of attainment since the previous digest, in percentage points (display only). */
  deltaPoints: z.number().finite().optional(),
});

export const ZDigestCardInput = z.object({
  /** "全公司" for a director, the department name for a manager. */
  scopeName: ZText,
  metric: ZMetric,
  period: ZPeriodKey,
  annualTarget: ZAmountValue,
  ytdActual: ZAmountValue,
  ytdTarget: ZAmountValue,
  ytdDeltaPoints: z.number().finite().optional(),
  lastPeriod: z.object({ actual: ZAmountValue, expected: ZAmountValue }),
  /** Year-end total at the current run-rate. */
  projection: ZAmountValue,
  requiredRunRate: ZAmountValue,
  /** Regions and product lines; the caller orders them. */
  breakdown: z.array(ZRow),
  /** Already ordered by urgency: only the first ones fit on a card. */
  exceptions: z.array(
    z.object({
      kind: ZExceptionKind,
      subject: ZText,
      detail: ZText.optional(),
    }),
  ),
  freshness: z.object({ reported: z.number().int().nonnegative(), expected: z.number().int().nonnegative() }),
  undelivered: z.number().int().nonnegative(),
  // A cut URL would be a broken link, so one that cannot fit a card value is refused rather than shortened.
  dashboardUrl: z.url().refine((u) => utf8Bytes(u) <= MAX_VALUE_BYTES, "URL longer than 1 KB"),
});
export type TDigestCardInput = z.infer<typeof ZDigestCardInput>;

function points(delta: number | undefined): string {
  if (delta === undefined) return "";
  const rounded = Math.round(delta * 10) / 10;
  return rounded === 0 ? " 持平" : ` ${rounded > 0 ? "▲" : "▼"}${Math.abs(rounded)}`;
}

function rowText(r: z.infer<typeof ZRow>): string {
  const name = truncateUtf8(oneLine(r.name), 60);
  return `${name} ${formatAmountShort(r.ytdActual)} / ${formatAmountShort(r.ytdTarget)} ${formatAttainment(r.ytdActual, r.ytdTarget)}${points(r.deltaPoints)}`;
}

function exceptionText(e: TDigestCardInput["exceptions"][number]): string {
  const detail = e.detail ? ` · ${oneLine(e.detail)}` : "";
  return `${EXCEPTION_LABEL[e.kind]} · ${oneLine(e.subject)}${detail}`;
}

function publicValues(d: TDigestCardInput): PublicValues<typeof digestCard.variables> {
  const unit = periodUnit(d.period);
  const fresh = percentOf(BigInt(d.freshness.reported), BigInt(d.freshness.expected)) ?? "—";
  return {
    headline: `目标周报 · ${truncateUtf8(oneLine(d.scopeName), 90)} · ${formatPeriod(d.period)}`,
    exceptionCount: d.exceptions.length,
    exceptionsText: fitList(d.exceptions.map(exceptionText), { separator: "\n", itemMaxBytes: 160 }),
    ytdText: `年度累计${metricLabel(d.metric)} ${formatAmountShort(d.ytdActual)} / ${formatAmountShort(d.ytdTarget)}（${formatAttainment(d.ytdActual, d.ytdTarget)}${points(d.ytdDeltaPoints)}）`,
    lastPeriodText: `上${unit}完成 ${formatAmountShort(d.lastPeriod.actual)}，应完成 ${formatAmountShort(d.lastPeriod.expected)}（${formatAttainment(d.lastPeriod.actual, d.lastPeriod.expected)}）`,
    projectionText: `按当前节奏预计全年 ${formatAmountShort(d.projection)}（目标 ${formatAmountShort(d.annualTarget)}，${formatAttainment(d.projection, d.annualTarget)}）`,
    runRateText: `每${unit}需完成 ${formatAmountShort(d.requiredRunRate)}，才能达成全年目标`,
    breakdownText: fitList(d.breakdown.map(rowText), { separator: "\n" }),
    freshnessText: `数据完整度 ${fresh}%（${d.freshness.reported}/${d.freshness.expected} 已填报）`,
    healthText: d.undelivered === 0 ? "消息全部送达" : `${d.undelivered} 条消息未送达，请在仪表盘查看`,
    dashboardUrl: d.dashboardUrl,
  };
}

/** The digest as a card; the same numbers are available as JSON from the API. */
export function buildDigestCard(input: TDigestCardInput): CardParams {
  return encodeCardParams(digestCard, publicValues(ZDigestCardInput.parse(input)));
}

/** The company view for the sales director after W15 of 2026 (target 1.8亿, five regions). */
export const digestCardFixture: TDigestCardInput = {
  scopeName: "全公司",
  metric: "REVENUE",
  period: "2026-W15",
  annualTarget: 180_000_000n,
  ytdActual: 40_200_000n,
  ytdTarget: 44_600_000n,
  ytdDeltaPoints: 1.4,
  lastPeriod: { actual: 3_150_000n, expected: 3_600_000n },
  projection: 162_500_000n,
  requiredRunRate: 3_750_000n,
  breakdown: [
    { name: "华东", ytdActual: 9_800_000n, ytdTarget: 8_950_000n, deltaPoints: 2.1 },
    { name: "华南", ytdActual: 8_100_000n, ytdTarget: 8_700_000n, deltaPoints: -0.6 },
    { name: "华北", ytdActual: 9_900_000n, ytdTarget: 11_200_000n, deltaPoints: 0.8 },
    { name: "西北", ytdActual: 5_200_000n, ytdTarget: 6_450_000n, deltaPoints: -2.3 },
    { name: "东北", ytdActual: 7_200_000n, ytdTarget: 9_300_000n, deltaPoints: 0 },
  ],
  exceptions: [
    { kind: "STREAK", subject: "李娜（华东）", detail: "连续2周：W14 62%，W15 未填报" },
    { kind: "STREAK", subject: "周强（西北）", detail: "连续3周" },
    { kind: "NO_REPORT", subject: "东北 4 人", detail: "W15 未填报" },
    { kind: "UNCONFIRMED", subject: "孙悦（华南）", detail: "v2 已下发 3 个工作日" },
    { kind: "STALE_APPROVAL", subject: "华北 · 刘洋 目标下调申请", detail: "等待 王强 4 个工作日" },
    { kind: "OPEN_ESCALATION", subject: "周强（西北）", detail: "已上报至 陈刚" },
  ],
  freshness: { reported: 138, expected: 150 },
  undelivered: 0,
  dashboardUrl: "http://localhost:3000/dashboard?plan=2026&period=2026-W15",
};
