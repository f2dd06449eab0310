import { z } from "zod";
import { ZMetric } from "../../domain/metric.ts";
import { ZAmount } from "../../domain/z-amount.ts";

/** One figure from CRM/ERP (or another system) for `POST /api/progress`. */
export const ZProgressEntryInput = z.object({
  userId: z.string().trim().min(1),
  planId: z.string().trim().min(1),
  period: z.string().trim().min(1),
  amount: ZAmount,
  metric: ZMetric.optional(),
  newCustomers: z.number().int().min(0).max(100_000).optional(),
  note: z.string().trim().max(500).optional(),
  source: z.enum(["IMPORT", "SELF_REPORT"]).default("IMPORT"),
});
export type TProgressEntryInput = z.output<typeof ZProgressEntryInput>;

export const ZProgressImport = z.object({
  entries: z.array(ZProgressEntryInput).min(1, "entries 不能为空").max(50_000),
});
