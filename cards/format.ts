import { DateTime } from "luxon";

/**
 * Number, date and period formatting for Chinese readers of a card. Kept local to `cards/` on purpose: the
 * domain formatter (src/domain/format-amount.ts) is being written at the same time and will be reconciled.
 */

/** Time zone used when a builder is not told otherwise; matches the default BOT_TIMEZONE. */
export const DEFAULT_TIME_ZONE = "Asia/Shanghai";

/** Divides and rounds half away from zero, in exact integer arithmetic. */
function roundDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator < 0n) return roundDiv(-numerator, -denominator);
  if (numerator < 0n) return -roundDiv(-numerator, denominator);
  return (2n * numerator + denominator) / (2n * denominator);
}

function groupThousands(value: bigint): string {
  return value.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Renders `hundredths / 100` with at most two decimals, trailing zeros dropped: 360000 → "3,600", 1250 → "12.5". */
function twoDecimals(hundredths: bigint): string {
  const whole = groupThousands(hundredths / 100n);
  const fraction = (hundredths % 100n).toString().padStart(2, "0").replace(/0+$/, "");
  return fraction ? `${whole}.${fraction}` : whole;
}

/**
 * Whole yuan (or a count) the way a Chinese sales team says it: 12,345 → "12,345", 70,000 → "7万",
 * 350,000 → "35万", 36,000,000 → "3,600万", 180,000,000 → "1.8亿". At most two decimals, rounded half away
 * from zero — except below 10万, where an amount is only written in 万 if that loses nothing (43,400 → "4.34万").
 */
export function formatAmount(value: bigint): string {
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  if (abs < 10_000n || (abs < 100_000n && abs % 100n !== 0n)) return sign + groupThousands(abs);
  const wanHundredths = roundDiv(abs, 100n);
  // Rounding can carry 9,999.995万 up to 10,000万, which reads better as 1亿.
  if (wanHundredths < 1_000_000n) return `${sign}${twoDecimals(wanHundredths)}万`;
  return `${sign}${twoDecimals(roundDiv(abs, 1_000_000n))}亿`;
}

/** `part / whole` as a percentage number string with `decimals` places ("62", "11.7"); undefined if whole ≤ 0. */
export function percentOf(part: bigint, whole: bigint, decimals = 0): string | undefined {
  if (whole <= 0n) return undefined;
  const scale = 10n ** BigInt(decimals);
  const scaled = roundDiv(part * 100n * scale, whole);
  if (decimals === 0) return scaled.toString();
  const sign = scaled < 0n ? "-" : "";
  const abs = scaled < 0n ? -scaled : scaled;
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(decimals, "0")}`;
}

/** Attainment as "62%", or "—" when there is no target to measure against. */
export function formatPercent(part: bigint, whole: bigint): string {
  const pct = percentOf(part, whole);
  return pct === undefined ? "—" : `${pct}%`;
}

/** Relative change with a sign, "+5.0%" / "-9.5%"; "新增" when there was nothing before. */
export function formatChange(before: bigint, after: bigint): string {
  const pct = percentOf(after - before, before, 1);
  if (pct === undefined) return after === before ? "0%" : "新增";
  return `${after > before ? "+" : ""}${pct}%`;
}

/** Signed amount difference, "+40万" / "-40万" / "0". */
export function formatDelta(before: bigint, after: bigint): string {
  const delta = after - before;
  return `${delta > 0n ? "+" : ""}${formatAmount(delta)}`;
}

/** "11月23日 10:32" in the given time zone. */
export function formatDateTime(at: Date, timeZone = DEFAULT_TIME_ZONE): string {
  return DateTime.fromJSDate(at).setZone(timeZone).toFormat("M月d日 HH:mm");
}

export type PeriodKind = "WEEK" | "MONTH" | "QUARTER";

export interface Period {
  key: string;
  kind: PeriodKind;
  year: number;
  /** Week number, month (1–12) or quarter (1–4). */
  index: number;
  first: DateTime;
  last: DateTime;
}

const PERIOD_PATTERN = /^(\d{4})-(?:W(\d{2})|Q([1-4])|(\d{2}))$/;

/** Parses "2026-W14", "2026-04" or "2026-Q2"; undefined when it is none of these or does not exist. */
export function parsePeriod(key: string): Period | undefined {
  const m = PERIOD_PATTERN.exec(key);
  if (!m) return undefined;
  const year = Number(m[1]);
  const opts = { zone: "UTC" };
  if (m[2] !== undefined) {
    const index = Number(m[2]);
    const first = DateTime.fromObject({ weekYear: year, weekNumber: index, weekday: 1 }, opts);
    if (!first.isValid || index < 1 || index > first.weeksInWeekYear) return undefined;
    return { key, kind: "WEEK", year, index, first, last: first.plus({ days: 6 }) };
  }
  const kind: PeriodKind = m[3] !== undefined ? "QUARTER" : "MONTH";
  const index = Number(m[3] ?? m[4]);
  if (kind === "MONTH" && (index < 1 || index > 12)) return undefined;
  const first = DateTime.fromObject({ year, month: kind === "QUARTER" ? index * 3 - 2 : index, day: 1 }, opts);
  const last = first.plus({ months: kind === "QUARTER" ? 3 : 1 }).minus({ days: 1 });
  return { key, kind, year, index, first, last };
}

function requirePeriod(key: string): Period {
  const period = parsePeriod(key);
  if (!period) throw new Error(`not a period key: ${JSON.stringify(key)}`);
  return period;
}

/** "2026-W14 (3/30–4/5)": the key people see in reports, with the dates it covers. */
export function formatPeriod(key: string): string {
  const p = requirePeriod(key);
  return `${key} (${p.first.toFormat("M/d")}–${p.last.toFormat("M/d")})`;
}

/** Short label inside a year, for lists: "W14", "4月", "Q2". */
export function shortPeriod(key: string): string {
  const p = requirePeriod(key);
  if (p.kind === "WEEK") return `W${p.index}`;
  return p.kind === "MONTH" ? `${p.index}月` : `Q${p.index}`;
}

/** The unit of a cadence in running text: "周", "月", "季度". */
export function periodUnit(key: string): string {
  const kind = requirePeriod(key).kind;
  return kind === "WEEK" ? "周" : kind === "MONTH" ? "月" : "季度";
}
