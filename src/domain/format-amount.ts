import { type AmountUnit, METRIC_LABELS, metricUnit } from "./metric.ts";
import type { Figure } from "./parse-progress.ts";
import { roundDiv } from "./round-div.ts";

/*
 * Two ways to write an amount, for two uses:
 * - exact, for saying back what a person typed or what must add up (chat echoes, the "已提交" echo on a progress
 *   card, conservation errors): never rounds, and reads back through parseAmount to the same value;
 * - short, for overviews (cards, reminders about a target): at most two decimals of 万/亿, rounded.
 */

/**
 * An amount exactly as stored: 亿 from 100,000,000 and 万 from 10,000, each with at most two decimals and only
 * when that is exact; otherwise grouped digits: 350000n → "35万元", 120000000n → "1.2亿元", 375000n → "37.5万元",
 * 4213457n → "4,213,457元", 0n → "0元"; counts are "家": 2n → "2家". The output reads back through
 * `parseAmount` / `parseCount` to the same value.
 */
export function formatAmountExact(value: bigint, unit: AmountUnit = "CNY"): string {
  if (value < 0n) return `-${formatAmountExact(-value, unit)}`;
  if (unit === "COUNT") return `${groupDigits(value)}家`;
  return `${inUnit(value, 100_000_000n, "亿") ?? inUnit(value, 10_000n, "万") ?? groupDigits(value)}元`;
}

/**
 * An amount the way a Chinese sales team says it in an overview: 12,345 → "12,345", 70,000 → "7万",
 * 4,213,457 → "421.35万", 36,000,000 → "3,600万", 180,000,000 → "1.8亿". At most two decimals, rounded half
 * away from zero — except below 10万, where an amount is only written in 万 if that loses nothing
 * (43,400 → "4.34万"). With a `unit`, the unit follows: "421.35万元", "3家".
 */
export function formatAmountShort(value: bigint, unit?: AmountUnit): string {
  const suffix = unit === undefined ? "" : unit === "COUNT" ? "家" : "元";
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  if (abs < 10_000n || (abs < 100_000n && abs % 100n !== 0n)) return `${sign}${groupDigits(abs)}${suffix}`;
  const wanHundredths = roundDiv(abs, 100n);
  // Rounding can carry 9,999.995万 up to 10,000万, which reads better as 1亿.
  if (wanHundredths < 1_000_000n) return `${sign}${twoDecimals(wanHundredths)}万${suffix}`;
  return `${sign}${twoDecimals(roundDiv(abs, 1_000_000n))}亿${suffix}`;
}

/** "销售额 35万元，新客户 2家" — what the bot understood, in the order the rep wrote it (exact). */
export function formatFigureEcho(figures: readonly Figure[]): string {
  return figures
    .map((f) => `${METRIC_LABELS[f.metric]} ${formatAmountExact(f.amount, metricUnit(f.metric))}`)
    .join("，");
}

/** 1234567n → "1,234,567". */
export function groupDigits(value: bigint): string {
  return value.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `value` in units of `base` with at most two decimals, or undefined when that would not be exact. */
function inUnit(value: bigint, base: bigint, suffix: string): string | undefined {
  if (value < base || (value * 100n) % base !== 0n) return undefined;
  return `${twoDecimals((value * 100n) / base)}${suffix}`;
}

/** Renders `hundredths / 100` with at most two decimals, trailing zeros dropped: 360000 → "3,600", 1250 → "12.5". */
function twoDecimals(hundredths: bigint): string {
  const fraction = (hundredths % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  return `${groupDigits(hundredths / 100n)}${fraction ? `.${fraction}` : ""}`;
}
