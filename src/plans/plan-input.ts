import { z } from "zod";
import { ZMetric } from "../domain/metric.ts";
import { ZAmount } from "../domain/z-amount.ts";

export const ZDimension = z.enum(["REGION", "PRODUCT_LINE", "CHANNEL", "CUSTOMER_SEGMENT", "OWNER"]);
export const ZSplitMethod = z.enum(["EQUAL", "WEIGHTS", "HISTORY", "MANUAL"]);

export const ZCreatePlanRequest = z.object({
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
  timezone: z.string().trim().min(1).optional(),
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

export const ZPhasingProfile = z.union([
  z.enum(["WORKDAYS", "EQUAL"]),
  z.object({ monthlyWeights: z.array(z.number().nonnegative()).length(12, "monthlyWeights 需要 12 个数") }),
]);
export const ZPhasingRequest = z.object({ profile: ZPhasingProfile });
export type TPhasingProfile = z.output<typeof ZPhasingProfile>;
