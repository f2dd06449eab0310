import { z } from "zod";

/** What a target measures; the same four metrics a plan, a progress report and a card can have. */
export const METRICS = ["REVENUE", "COLLECTION", "GROSS_PROFIT", "NEW_CUSTOMERS"] as const;
export type Metric = (typeof METRICS)[number];

/** What an amount counts: whole yuan, or whole things (new customers). */
export type AmountUnit = "CNY" | "COUNT";

/** The name of each metric as the bot says and shows it: chat replies, reminders and cards. */
export const METRIC_LABELS: Record<Metric, string> = {
  REVENUE: "销售额",
  COLLECTION: "回款",
  GROSS_PROFIT: "毛利",
  NEW_CUSTOMERS: "新客户",
};

/** New customers are counted (家); every other metric is money (元). */
export function metricUnit(metric: Metric): AmountUnit {
  return metric === "NEW_CUSTOMERS" ? "COUNT" : "CNY";
}

/** A metric in any input (API, card builders). */
export const ZMetric = z.enum(METRICS);

/** 「销售额」, 「新客户」: {@link METRIC_LABELS} as a function, for templates and maps. */
export function metricLabel(metric: Metric): string {
  return METRIC_LABELS[metric];
}
