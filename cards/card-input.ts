import { z } from "zod";
import { periodResultLabel } from "../src/domain/escalation-reason.ts";
import { formatAmountShort } from "../src/domain/format-amount.ts";
import { type Metric, metricUnit } from "../src/domain/metric.ts";
import { isPeriodKey } from "../src/domain/period-key.ts";
import { ZAmountValue } from "../src/domain/z-amount.ts";
import { fitList, oneLine } from "./fit-text.ts";

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

export const ZPeriodKey = z.string().refine(isPeriodKey, "must be a period such as 2026-W14, 2026-04 or 2026-Q2");

/** An amount with its unit for running text, short as everywhere on a card: "35万元", "3家". */
export function metricValue(value: bigint, metric: Metric): string {
  return formatAmountShort(value, metricUnit(metric));
}

/** One evaluated (or still open) period of an owner: `actual` null means nothing was reported. */
export const ZPeriodResult = z.object({
  period: ZPeriodKey,
  target: ZAmountValue,
  actual: ZAmountValue.nullable(),
  /** Holiday week or leave: neither a miss nor a hit. */
  excused: z.boolean().optional(),
});
export type TPeriodResult = z.infer<typeof ZPeriodResult>;

/** "W14 62%", "W15 未填报", "W16 免考核": the domain's label (escalation-reason.ts), for the card builders. */
export const formatPeriodResult: (result: TPeriodResult) => string = periodResultLabel;

/** People as "王磊、赵敏", shortened with "…等N项" when there are too many for `maxBytes`. */
export function formatNames(people: readonly { name: string }[], maxBytes: number, itemMaxBytes = 60): string {
  return fitList(
    people.map((p) => oneLine(p.name)),
    { maxBytes, itemMaxBytes },
  );
}
