// biome-ignore-all lint/suspicious/noTemplateCurlyInString: "${name}" is the DingTalk template placeholder syntax, not a JS template.
import { z } from "zod";
import { percentOf } from "../src/domain/attainment.ts";
import { formatAmountShort } from "../src/domain/format-amount.ts";
import { metricLabel, ZMetric } from "../src/domain/metric.ts";
import { ZAmountValue } from "../src/domain/z-amount.ts";
import type { CardParams } from "./card-definition.ts";
import { defineCard } from "./card-definition.ts";
import { formatNames, ZPerson, ZText } from "./card-input.ts";
import type { PrivateValues, PublicValues } from "./card-params.ts";
import { encodeCardParams } from "./card-params.ts";
import { fitList, oneLine, truncateUtf8 } from "./fit-text.ts";
import { DEFAULT_TIME_ZONE, formatDateTime } from "./format.ts";

/**
 * Target confirmation (docs/domain.md "Confirmation"). One card per target version, seen by the owner and the
 * co-owners: the owner's private data carries `canAct`, so co-owners get the informational variant (no buttons).
 */
export const targetCard = defineCard({
  id: "target",
  title: "目标确认",
  templateIdConfigKey: "DINGTALK_CARD_TEMPLATE_TARGET",
  heading: "${headline}",
  variables: {
    headline: { type: "string", scope: "public", description: "计划名 · 负责人，如「2026年度销售目标 · 李娜」" },
    metricLabel: { type: "string", scope: "public", description: "指标名称，如「销售额」" },
    amountText: { type: "string", scope: "public", description: "年度目标，中文习惯写法，如「420万」" },
    shareText: {
      type: "string",
      scope: "public",
      description: "在上级目标中的占比，如「华东 3,600万 中的 420万（11.7%）」",
    },
    quartersText: { type: "markdown", scope: "public", description: "季度分解，如「Q1 89万 · Q2 106万 …」" },
    monthsText: { type: "markdown", scope: "public", description: "月度分解（12个月）" },
    coOwnersText: { type: "string", scope: "public", description: "协同负责人，如「王磊、赵敏」；没有时为「无」" },
    funnelText: { type: "string", scope: "public", description: "漏斗倒推的行动参考；没有时为空" },
    versionText: { type: "string", scope: "public", description: "目标版本，如「v2（上一版 400万）」" },
    status: { type: "string", scope: "public", description: "状态：pending | confirmed | disputed" },
    statusText: { type: "string", scope: "public", description: "状态说明，如「已确认 · 11月23日 10:32」" },
    roleText: { type: "string", scope: "private", description: "查看者的角色说明（负责人 / 协同负责人）" },
    canAct: { type: "boolean", scope: "private", description: "仅负责人为 true：显示 确认 / 有异议" },
    noticeText: { type: "string", scope: "private", description: "仅点击者可见的一行提示：操作为何未生效，或已处理过" },
  },
  layout: [
    { text: "${metricLabel}目标：**${amountText}**" },
    { text: "占比：${shareText}" },
    { text: "季度：${quartersText}" },
    { text: "月度：${monthsText}" },
    { text: "协同负责人：${coOwnersText}" },
    { text: "行动参考：${funnelText}" },
    { text: "版本：${versionText}" },
    { text: "${roleText}" },
    { text: "${statusText}" },
    { text: "${noticeText}" },
  ],
  buttons: [
    { id: "confirm", label: "确认", actionParams: { action: "confirm" }, visibleWhen: "status == 'pending' && canAct" },
    {
      id: "dispute",
      label: "有异议",
      actionParams: { action: "dispute" },
      form: [
        { name: "reason", label: "异议原因", type: "text", required: true, placeholder: "例如：大客户项目延期" },
        { name: "amount", label: "建议目标", type: "amount", required: true, placeholder: "例如：380万" },
      ],
      visibleWhen: "status == 'pending' && canAct",
    },
  ],
  links: [],
  states: {
    pending: { label: "待确认", description: "已下发，等待负责人确认或提出异议" },
    confirmed: { label: "已确认", description: "负责人已确认此版本" },
    disputed: { label: "有异议", description: "负责人提出异议，已转为变更申请，等待经理处理" },
  },
});

const ZFunnel = z.object({
  leadsPerWeek: z.number().nonnegative().max(1e6),
  visitsPerWeek: z.number().nonnegative().max(1e6),
  proposalsPerWeek: z.number().nonnegative().max(1e6),
});

export const ZTargetCardInput = z
  .object({
    planName: ZText,
    metric: ZMetric,
    version: z.number().int().positive(),
    /** The amount of the version this one replaces, shown so the owner sees what changed. */
    previousAmount: ZAmountValue.optional(),
    owner: ZPerson,
    coOwners: z.array(ZPerson).max(1000),
    amount: ZAmountValue,
    /** January … December; they sum to `amount` (time phasing). */
    months: z.array(ZAmountValue).length(12),
    parent: z.object({ name: ZText, amount: ZAmountValue }).optional(),
    funnel: ZFunnel.optional(),
  })
  .refine((t) => t.months.reduce((a, b) => a + b, 0n) === t.amount, {
    path: ["months"],
    message: "monthly amounts must sum to the target amount",
  })
  .refine((t) => t.parent === undefined || t.parent.amount >= t.amount, {
    path: ["parent", "amount"],
    message: "the parent target cannot be smaller than the child",
  });
export type TTargetCardInput = z.infer<typeof ZTargetCardInput>;

type TargetPublic = PublicValues<typeof targetCard.variables>;
type TargetPrivate = PrivateValues<typeof targetCard.variables>;

function shareText(t: TTargetCardInput): string {
  if (!t.parent) return "";
  const pct = percentOf(t.amount, t.parent.amount, 1);
  const name = truncateUtf8(oneLine(t.parent.name), 120);
  return `${name} ${formatAmountShort(t.parent.amount)} 中的 ${formatAmountShort(t.amount)}${pct ? `（${pct}%）` : ""}`;
}

function quartersText(months: readonly bigint[]): string {
  const quarters = [0, 1, 2, 3].map((q) => months.slice(q * 3, q * 3 + 3).reduce((a, b) => a + b, 0n));
  return quarters.map((amount, q) => `Q${q + 1} ${formatAmountShort(amount)}`).join(" · ");
}

function funnelText(funnel: TTargetCardInput["funnel"]): string {
  if (!funnel) return "";
  const n = (x: number) => Math.round(x);
  return `每周约 ${n(funnel.leadsPerWeek)} 条线索、${n(funnel.visitsPerWeek)} 次拜访、${n(funnel.proposalsPerWeek)} 份方案`;
}

function publicValues(t: TTargetCardInput, status: string, statusText: string): TargetPublic {
  const owner = truncateUtf8(oneLine(t.owner.name), 90);
  const previous = t.previousAmount === undefined ? "" : `（上一版 ${formatAmountShort(t.previousAmount)}）`;
  return {
    headline: `${truncateUtf8(oneLine(t.planName), 150)} · ${owner}`,
    metricLabel: metricLabel(t.metric),
    amountText: formatAmountShort(t.amount),
    shareText: shareText(t),
    quartersText: quartersText(t.months),
    monthsText: fitList(
      t.months.map((m, i) => `${i + 1}月 ${formatAmountShort(m)}`),
      { separator: " · " },
    ),
    coOwnersText: t.coOwners.length > 0 ? formatNames(t.coOwners, 600) : "无",
    funnelText: funnelText(t.funnel),
    versionText: `v${t.version}${previous}`,
    status,
    statusText,
  };
}

function build(t: TTargetCardInput, status: string, statusText: string, withOwner: boolean): CardParams {
  const owner = truncateUtf8(oneLine(t.owner.name), 90);
  const entries: [string, TargetPrivate][] = t.coOwners.map((c) => [
    c.userId,
    { canAct: false, roleText: `你是协同负责人，目标由 ${owner} 确认`, noticeText: "" },
  ]);
  // The owner goes last so that, should the owner also be listed as a co-owner, the owner's entry wins.
  if (withOwner) entries.push([t.owner.userId, { canAct: true, roleText: "你是本目标的负责人", noticeText: "" }]);
  return encodeCardParams(targetCard, publicValues(t, status, statusText), Object.fromEntries(entries));
}

function pendingText(t: TTargetCardInput): string {
  return `待 ${truncateUtf8(oneLine(t.owner.name), 90)} 确认`;
}

/** The card sent on publishing: the owner sees 确认 / 有异议, co-owners see the same facts without buttons. */
export function buildTargetCard(input: TTargetCardInput): CardParams {
  const t = ZTargetCardInput.parse(input);
  return build(t, "pending", pendingText(t), true);
}

/** Informational variant for a separate card to co-owners: no viewer may act on it. */
export function buildTargetInfoCard(input: TTargetCardInput): CardParams {
  const t = ZTargetCardInput.parse(input);
  return build(t, "pending", pendingText(t), false);
}

/** After 确认: "已确认 · 11月23日 10:32". */
export function targetCardConfirmed(input: TTargetCardInput, at: Date, timeZone = DEFAULT_TIME_ZONE): CardParams {
  const t = ZTargetCardInput.parse(input);
  return build(t, "confirmed", `已确认 · ${formatDateTime(at, timeZone)}`, true);
}

/** After 有异议: the dispute became a change request; `approver` (when known) has it first. */
export function targetCardDisputed(input: TTargetCardInput, approver?: string): CardParams {
  const t = ZTargetCardInput.parse(input);
  const who = approver?.trim() ? truncateUtf8(oneLine(approver), 60) : "经理";
  return build(t, "disputed", `已提出异议，等待${who}审批`, true);
}

/** 李娜 (华东) and her 2026 target of 420万 out of 华东's 3,600万, in the reference company (1.8亿 in total). */
export const targetCardFixture: TTargetCardInput = {
  planName: "2026年度销售目标",
  metric: "REVENUE",
  version: 1,
  owner: { userId: "lina01", name: "李娜" },
  coOwners: [
    { userId: "wanglei02", name: "王磊" },
    { userId: "zhaomin03", name: "赵敏" },
  ],
  amount: 4_200_000n,
  months: [
    280_000n,
    260_000n,
    350_000n,
    350_000n,
    350_000n,
    360_000n,
    370_000n,
    370_000n,
    360_000n,
    330_000n,
    390_000n,
    430_000n,
  ],
  parent: { name: "华东", amount: 36_000_000n },
  funnel: { leadsPerWeek: 12, visitsPerWeek: 5, proposalsPerWeek: 2 },
};
