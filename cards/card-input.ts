import { z } from "zod";
import { fitList, oneLine } from "./fit-text.ts";
import { formatAmount, formatPercent, parsePeriod, shortPeriod } from "./format.ts";

/**
 * Zod pieces shared by the card inputs. Texts may be long (names come from the directory, reasons from people):
 * the builders shorten them to fit a card, so the schemas only refuse what no card could show sensibly.
 */

/** Upper bound for any text handed to a builder; far above what a card shows, it only stops runaway input. */
const MAX_TEXT = 10_000;

export const ZText = z.string().trim().min(1).max(MAX_TEXT);
export const ZOptionalText = z.string().trim().max(MAX_TEXT).optional();

/** DingTalk userId; also the key of a card's private data. */
export const ZUserId = z.string().trim().min(1).max(64);

export const ZPerson = z.object({ userId: ZUserId, name: ZText });
export type TPerson = z.infer<typeof ZPerson>;

/** Whole yuan, or a count for count metrics. Never negative on a card. */
export const ZAmount = z.bigint().nonnegative();

export const ZPeriodKey = z
  .string()
  .refine((key) => parsePeriod(key) !== undefined, "must be a period such as 2026-W14, 2026-04 or 2026-Q2");

export const ZMetric = z.enum(["REVENUE", "COLLECTION", "GROSS_PROFIT", "NEW_CUSTOMERS"]);
export type TMetric = z.infer<typeof ZMetric>;

const METRIC_LABEL: Record<TMetric, string> = {
  REVENUE: "销售额",
  COLLECTION: "回款",
  GROSS_PROFIT: "毛利",
  NEW_CUSTOMERS: "新客户",
};

export function metricLabel(metric: TMetric): string {
  return METRIC_LABEL[metric];
}

/** An amount with its unit for running text: "35万元", "3家". */
export function metricValue(value: bigint, metric: TMetric): string {
  return `${formatAmount(value)}${metric === "NEW_CUSTOMERS" ? "家" : "元"}`;
}

/** One evaluated (or still open) period of an owner: `actual` null means nothing was reported. */
export const ZPeriodResult = z.object({
  period: ZPeriodKey,
  target: ZAmount,
  actual: ZAmount.nullable(),
  /** Holiday week or leave: neither a miss nor a hit. */
  excused: z.boolean().optional(),
});
export type TPeriodResult = z.infer<typeof ZPeriodResult>;

/** "W14 62%", "W15 未填报", "W16 免考核". */
export function formatPeriodResult(result: TPeriodResult): string {
  const label = shortPeriod(result.period);
  if (result.excused) return `${label} 免考核`;
  if (result.actual === null) return `${label} 未填报`;
  return `${label} ${formatPercent(result.actual, result.target)}`;
}

/** People as "王磊、赵敏", shortened with "…等N项" when there are too many for `maxBytes`. */
export function formatNames(people: readonly { name: string }[], maxBytes: number, itemMaxBytes = 60): string {
  return fitList(
    people.map((p) => oneLine(p.name)),
    { maxBytes, itemMaxBytes },
  );
}
