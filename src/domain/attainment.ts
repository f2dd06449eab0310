import { roundDiv } from "./round-div.ts";

/**
 * `part / whole` as a percentage number string with `decimals` places ("62", "11.7"), rounded half away from
 * zero; undefined when whole ≤ 0 (nothing to measure against). The one place a share is computed: attainment,
 * a target's part of its parent, how many have reported.
 */
export function percentOf(part: bigint, whole: bigint, decimals = 0): string | undefined {
  const scaled = scaledShare(part, whole, decimals + 2);
  if (scaled === undefined) return undefined;
  if (decimals === 0) return scaled.toString();
  const scale = 10n ** BigInt(decimals);
  const sign = scaled < 0n ? "-" : "";
  const abs = scaled < 0n ? -scaled : scaled;
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(decimals, "0")}`;
}

/**
 * Attainment: actual ÷ target with 4 decimals (0.6235 = 62.35%), rounded like {@link percentOf} so that the API
 * and the cards never disagree; null without a report or without a target to measure against.
 */
export function attainment(actual: bigint | null, target: bigint): number | null {
  const scaled = actual === null ? undefined : scaledShare(actual, target, 4);
  return scaled === undefined ? null : Number(scaled) / 10_000;
}

/** Attainment as people read it: "62%", or "—" when there is no target to measure against. */
export function formatAttainment(actual: bigint, target: bigint): string {
  const pct = percentOf(actual, target);
  return pct === undefined ? "—" : `${pct}%`;
}

/** round(part / whole × 10^digits), or undefined when whole ≤ 0. */
function scaledShare(part: bigint, whole: bigint, digits: number): bigint | undefined {
  return whole <= 0n ? undefined : roundDiv(part * 10n ** BigInt(digits), whole);
}
