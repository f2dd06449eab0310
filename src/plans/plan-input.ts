import { IANAZone } from "luxon";
import { z } from "zod";
import { ZMetric } from "../domain/metric.ts";
import { ZAmount } from "../domain/z-amount.ts";

export const ZDimension = z.enum(["REGION", "PRODUCT_LINE", "CHANNEL", "CUSTOMER_SEGMENT", "OWNER"]);
export const ZSplitMethod = z.enum(["EQUAL", "WEIGHTS", "HISTORY", "MANUAL"]);

/** A stage conversion rate: the share that moves on, in (0, 1], at least 0.000001 (funnel.ts's precision). */
const ZRate = (what: string) =>
  z
    .number({ error: `${what}必须是 0 到 1 之间的小数` })
    .gt(0, `${what}必须大于 0`)
    .gte(0.000001, `${what}太小，至少为 0.000001`)
    .max(1, `${what}不能超过 1`);

/** Sales-funnel settings of a plan: average deal size and the conversion rates 线索 → 拜访 → 方案 → 成交. */
export const ZFunnelSettings = z.strictObject({
  avgDealSize: ZAmount.refine((n) => n > 0n, "平均客单价必须大于 0"),
  leadToVisit: ZRate("线索→拜访转化率"),
  visitToProposal: ZRate("拜访→方案转化率"),
  proposalToWin: ZRate("方案→成交转化率"),
});
export type TFunnelSettings = z.output<typeof ZFunnelSettings>;

export const ZCreatePlanRequest = z
  .object({
    name: z.string().trim().min(1, "计划名称不能为空").max(200),
    fiscalYear: z.number().int().min(2000).max(2100),
    metric: ZMetric.default("REVENUE"),
    unit: z.enum(["CNY", "COUNT"]).optional(),
    total: ZAmount.refine((n) => n > 0n, "计划总额必须大于 0"),
    ownerUserId: z.string().trim().min(1),
    cadence: z.enum(["WEEK", "MONTH", "QUARTER"]).default("WEEK"),
    missThreshold: z.number().gt(0).max(2).default(1),
    escalateAfter: z.number().int().min(1).max(12).default(2),
    minOwners: z.number().int().min(1).max(10).default(2),
    /** An IANA zone luxon knows: every scheduled job reads it, so a bad one is refused here, not at the first run. */
    timezone: z
      .string()
      .trim()
      .min(1)
      .refine((tz) => IANAZone.isValidZone(tz), "timezone 应为 IANA 时区名，如 Asia/Shanghai")
      .optional(),
    funnel: ZFunnelSettings.optional(),
    /** Change approval tiers: |Δ| ≤ first % → the manager; ≤ second % → manager and director; above → + plan owner. */
    approvalThresholds: z
      .tuple([z.number().gt(0).max(100), z.number().gt(0).max(100)], {
        error: "approvalThresholds 应为两个百分数，如 [5, 15]",
      })
      .refine(([low, high]) => low < high, "approvalThresholds 的第一个数必须小于第二个，如 [5, 15]")
      .optional(),
  })
  .refine((p) => !p.funnel || p.metric === "REVENUE", {
    path: ["funnel"],
    message: "漏斗设置（客单价、转化率）只适用于销售额（REVENUE）计划",
  });
export type TCreatePlanRequest = z.output<typeof ZCreatePlanRequest>;

export const ZSplitChild = z.object({
  key: z.string().trim().min(1, "key 不能为空").max(200),
  label: z.string().trim().min(1).max(200).optional(),
  ownerUserId: z.string().trim().min(1).optional(),
  coOwnerUserIds: z.array(z.string().trim().min(1)).max(20).default([]),
  weight: z.number().optional(),
  amount: ZAmount.optional(),
  lastYear: ZAmount.optional(),
  growth: z.number().optional(),
  locked: z.boolean().default(false),
});
export type TSplitChild = z.output<typeof ZSplitChild>;

export const ZSplitRequest = z.object({
  parentTargetId: z.string().trim().min(1),
  dimension: ZDimension,
  method: ZSplitMethod,
  children: z.array(ZSplitChild).min(1, "至少需要一个子目标").max(20_000),
  reason: z.string().trim().max(500).optional(),
});
export type TSplitRequest = z.output<typeof ZSplitRequest>;

export const ZPhasingProfile = z.union(
  [
    z.enum(["WORKDAYS", "EQUAL"]),
    z.object({
      monthlyWeights: z.array(z.number().nonnegative("月度权重不能为负数")).length(12, "monthlyWeights 需要 12 个数"),
    }),
  ],
  // zod's own "Invalid input" does not say what would have been valid.
  { error: '分月方案应为 "WORKDAYS"、"EQUAL" 或 {"monthlyWeights": [12 个非负数]}' },
);
export const ZPhasingRequest = z.object({ profile: ZPhasingProfile });
export type TPhasingProfile = z.output<typeof ZPhasingProfile>;
