import type { Metric } from "./metric.ts";
import type { Figure } from "./parse-progress.ts";

/** What an amount counts: whole yuan, or whole things (new customers). */
export type AmountUnit = "CNY" | "COUNT";

/** The name of each metric as the bot says it back. */
export const METRIC_LABELS: Record<Metric, string> = {
  REVENUE: "销售额",
  COLLECTION: "回款",
  GROSS_PROFIT: "毛利",
  NEW_CUSTOMERS: "新客户",
};

/**
 * Says an amount back to a salesperson exactly as it was stored — the echo after a progress report must never
 * round, because the rep confirms what the bot keeps (cards/format.ts rounds for overviews instead).
 * 亿 from 100,000,000 and 万 from 10,000, each with at most two decimals and only when that is exact;
 * otherwise grouped digits: 350000n → "35万元", 120000000n → "1.2亿元", 375000n → "37.5万元",
 * 12345n → "12,345元", 0n → "0元"; counts are "家": 2n → "2家". The output reads back through
 * `parseAmount` / `parseCount` to the same value.
 */
export function formatAmount(value: bigint, unit: AmountUnit = "CNY"): string {
  if (value < 0n) return `-${formatAmount(-value, unit)}`;
  if (unit === "COUNT") return `${groupDigits(value)}家`;
  return `${inUnit(value, 100_000_000n, "亿") ?? inUnit(value, 10_000n, "万") ?? groupDigits(value)}元`;
}

/** "销售额 35万元，新客户 2家" — what the bot understood, in the order the rep wrote it. */
export function formatFigureEcho(figures: readonly Figure[]): string {
  return figures
    .map((f) => `${METRIC_LABELS[f.metric]} ${formatAmount(f.amount, f.metric === "NEW_CUSTOMERS" ? "COUNT" : "CNY")}`)
    .join("，");
}

/** 1234567n → "1,234,567". */
export function groupDigits(value: bigint): string {
  return value.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `value` in units of `base` with at most two decimals, or undefined when that would not be exact. */
function inUnit(value: bigint, base: bigint, suffix: string): string | undefined {
  if (value < base || (value * 100n) % base !== 0n) return undefined;
  const hundredths = (value * 100n) / base;
  const fraction = (hundredths % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  return `${groupDigits(hundredths / 100n)}${fraction ? `.${fraction}` : ""}${suffix}`;
}
