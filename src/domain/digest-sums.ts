import { attainment } from "./attainment.ts";
import type { DigestInput, DigestLeafInput } from "./digest.ts";
import type { DigestFigures, DigestRow } from "./digest-types.ts";
import { roundDiv } from "./round-div.ts";
import { requiredRunRate } from "./run-rate.ts";

/* The digest's arithmetic on one row's amounts: what a row accumulates, and the figures shown for it. */

/** Accumulated amounts of a row (a person, a dimension value, the whole scope). */
export interface Sums {
  ytdActual: bigint;
  ytdTarget: bigint;
  periodActual: bigint;
  periodTarget: bigint;
  previousYtdActual: bigint;
  previousYtdTarget: bigint;
  annual: bigint;
  reported: boolean;
}

export const blank = (): Sums => ({
  ytdActual: 0n,
  ytdTarget: 0n,
  periodActual: 0n,
  periodTarget: 0n,
  previousYtdActual: 0n,
  previousYtdTarget: 0n,
  annual: 0n,
  reported: false,
});

export function addInto(s: Sums, x: Sums): void {
  s.ytdActual += x.ytdActual;
  s.ytdTarget += x.ytdTarget;
  s.periodActual += x.periodActual;
  s.periodTarget += x.periodTarget;
  s.previousYtdActual += x.previousYtdActual;
  s.previousYtdTarget += x.previousYtdTarget;
  s.annual += x.annual;
  s.reported ||= x.reported;
}

/** The figures of a row from its sums: attainments, the pace projection and the run-rate now needed. */
export function figuresOf(s: Sums, pace: DigestInput["pace"]): DigestFigures {
  const projected = pace.elapsed > 0 ? roundDiv(s.ytdActual * BigInt(pace.total), BigInt(pace.elapsed)) : s.ytdActual;
  return {
    ytdActual: s.ytdActual,
    ytdTarget: s.ytdTarget,
    ytdAttainment: attainment(s.ytdActual, s.ytdTarget),
    periodActual: s.periodActual,
    periodTarget: s.periodTarget,
    periodAttainment: s.reported ? attainment(s.periodActual, s.periodTarget) : null,
    previousYtdAttainment: attainment(s.previousYtdActual, s.previousYtdTarget),
    annualTarget: s.annual,
    projectedYearEnd: projected,
    requiredRunRate: requiredRunRate({
      annualTarget: s.annual,
      ytdActual: s.ytdActual,
      remainingPeriods: pace.remaining,
    }),
  };
}

/** A leaf's own targets, with no figure. */
export function leafOnly(leaf: DigestLeafInput): Sums {
  // Written out in the field order of blank() (one object shape for every Sums, no spread: 50,000 of these).
  return {
    ytdActual: 0n,
    ytdTarget: leaf.ytdTarget,
    periodActual: 0n,
    periodTarget: leaf.ytdTarget - leaf.previousYtdTarget,
    previousYtdActual: 0n,
    previousYtdTarget: leaf.previousYtdTarget,
    annual: leaf.annual,
    reported: false,
  };
}

/** Largest annual target first, then by key: the order a director scans a breakdown in. */
export function sortRows(rows: DigestRow[]): DigestRow[] {
  return rows.sort(
    (a, b) =>
      compareBig(b.figures.annualTarget, a.figures.annualTarget) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

export function compareBig(a: bigint, b: bigint): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

/** A breakdown row from its sums. */
export function row(key: string, label: string, s: Sums, pace: DigestInput["pace"], ownerName?: string): DigestRow {
  const figures = figuresOf(s, pace);
  return { key, label, ...(ownerName === undefined ? {} : { ownerName }), figures, deltaPoints: delta(figures) };
}

/** Change in YTD attainment, in percentage points to two decimals. */
function delta(f: DigestFigures): number | null {
  if (f.ytdAttainment === null || f.previousYtdAttainment === null) return null;
  return Math.round((f.ytdAttainment - f.previousYtdAttainment) * 10_000) / 100;
}
