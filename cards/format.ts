import { DateTime } from "luxon";
import { percentOf } from "../src/domain/attainment.ts";
import { formatAmountShort } from "../src/domain/format-amount.ts";

/**
 * What only cards show: times in the reader's zone and changes between two versions of an amount. Amounts,
 * attainment, periods and metric names are rules of src/domain/ and are imported from there.
 */

/** Time zone used when a builder is not told otherwise; matches the default BOT_TIMEZONE. */
export const DEFAULT_TIME_ZONE = "Asia/Shanghai";

/** Relative change with a sign, "+5.0%" / "-9.5%"; "新增" when there was nothing before. */
export function formatChange(before: bigint, after: bigint): string {
  const pct = percentOf(after - before, before, 1);
  if (pct === undefined) return after === before ? "0%" : "新增";
  return `${after > before ? "+" : ""}${pct}%`;
}

/** Signed amount difference, "+40万" / "-40万" / "0". */
export function formatDelta(before: bigint, after: bigint): string {
  const delta = after - before;
  return `${delta > 0n ? "+" : ""}${formatAmountShort(delta)}`;
}

/** "11月23日 10:32" in the given time zone. */
export function formatDateTime(at: Date, timeZone = DEFAULT_TIME_ZONE): string {
  return DateTime.fromJSDate(at).setZone(timeZone).toFormat("M月d日 HH:mm");
}
