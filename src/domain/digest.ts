import { attainment } from "./attainment.ts";
import { dimensionBreakdowns, rankPeople, rankRows, teamBreakdown } from "./digest-breakdowns.ts";
import { type DigestExceptionInputs, digestExceptions } from "./digest-exceptions.ts";
import { addInto, blank, figuresOf, leafOnly, type Sums } from "./digest-sums.ts";
import type { Digest } from "./digest-types.ts";
import { largestRemainder } from "./largest-remainder.ts";
import type { Cadence } from "./period-key.ts";

/*
 * The weekly digest's aggregation (issue #14, docs/domain.md "Digest"): plain rows in, a `Digest` out, no I/O.
 * The loader (src/flows/digest/digest-data.ts) reads the rows set-based; everything that adds up happens here.
 */

/** One live leaf target in scope, with what its months expect (phasing.ts, per leaf, as evaluation sums them). */
export interface DigestLeafInput {
  targetId: string;
  ownerUserId: string | null;
  /** The nodes above it that split by a dimension, and the leaf itself, root side first. */
  path: { dimension: string; key: string; label: string }[];
  annual: bigint;
  /** Expected from 1 January through the end of the digest's period. */
  ytdTarget: bigint;
  /** Expected through the end of the period before (so the period's own target is the difference). */
  previousYtdTarget: bigint;
}

export interface DigestPersonInput {
  userId: string;
  name: string;
  active: boolean;
  managerUserId: string | null;
}

/** A person's figures in force: their sum over the plan year up to and including the period, and the period's. */
export interface DigestFigureInput {
  ytdActual: bigint;
  /** null: nothing reported for the period. */
  periodActual: bigint | null;
}

export interface DigestInput {
  plan: Digest["plan"] & { cadence: Cadence };
  period: string;
  previousPeriod: string | null;
  viewer: Digest["viewer"];
  /** Working periods (with a workday in the plan year): through this one, in the whole year, after this one. */
  pace: { elapsed: number; total: number; remaining: number };
  leaves: DigestLeafInput[];
  /** Everyone the leaves' owners and the team root are, with the manager chain between them. */
  people: ReadonlyMap<string, DigestPersonInput>;
  /** Whose direct reports the TEAM breakdown groups by: the viewer, or the plan owner for the whole plan. */
  teamRoot: string | null;
  figures: ReadonlyMap<string, DigestFigureInput>;
  /** Per period of the year up to this one, oldest first: the figures in force and the expected amount. */
  series: { period: string; actual: bigint; expected: bigint }[];
  exceptions: DigestExceptionInputs;
  undelivered: number;
}

/** Builds the digest from its rows. */
export function buildDigest(input: DigestInput): Digest {
  const people = personSums(input);
  const leafSums = attributeToLeaves(input, people);
  const totals = blank();
  for (const s of people.values()) addInto(totals, s);
  // Leaves of people without a figure and of no one (a leaver's, an unowned one) still carry their target.
  for (const leaf of input.leaves) if (leaf.ownerUserId === null) addInto(totals, leafOnly(leaf));

  const dimensionRows = dimensionBreakdowns(input, leafSums);
  const team = teamBreakdown(input, people);
  const breakdowns = team.rows.length > 0 ? [...dimensionRows, team] : dimensionRows;
  const region = dimensionRows.find((b) => b.dimension === "REGION");
  const rankedPeople = rankPeople(input, people);
  const rankedRegions = input.viewer.scope === "PLAN" && region ? rankRows(region.rows) : { top: [], bottom: [] };

  const activeOwners = [...people.keys()].filter((id) => input.people.get(id)?.active);
  const reported = activeOwners.filter((id) => input.figures.get(id)?.periodActual != null).length;
  const exceptions = digestExceptions({
    cadence: input.plan.cadence,
    unit: input.plan.unit,
    period: input.period,
    inputs: input.exceptions,
    notReported: activeOwners
      .filter((id) => input.figures.get(id)?.periodActual == null)
      .map((id) => ({ userId: id, name: input.people.get(id)?.name ?? id })),
  });
  const series = cumulativeSeries(input.series);
  const onlyNonReports = exceptions.items.every(
    (e) => e.kind === "NOT_REPORTED" || (e.kind === "MISS" && e.noReport === true),
  );
  return {
    plan: {
      id: input.plan.id,
      name: input.plan.name,
      fiscalYear: input.plan.fiscalYear,
      cadence: input.plan.cadence,
      unit: input.plan.unit,
      metric: input.plan.metric,
    },
    period: input.period,
    previousPeriod: input.previousPeriod,
    viewer: input.viewer,
    totals: figuresOf(totals, input.pace),
    breakdowns,
    exceptions: exceptions.items.map(({ noReport: _, ...e }) => e),
    exceptionCounts: exceptions.counts,
    top: { people: rankedPeople.top, regions: rankedRegions.top },
    bottom: { people: rankedPeople.bottom, regions: rankedRegions.bottom },
    freshness: {
      owners: activeOwners.length,
      reported,
      share: attainment(BigInt(reported), BigInt(activeOwners.length)),
    },
    health: { undelivered: input.undelivered },
    series,
    empty: input.leaves.length === 0 || (reported === 0 && onlyNonReports),
  };
}

/** Per owner: their leaves' targets summed (as evaluation judges a person) and their figures. */
function personSums(input: DigestInput): Map<string, Sums> {
  const sums = new Map<string, Sums>();
  for (const leaf of input.leaves) {
    if (leaf.ownerUserId === null) continue;
    let s = sums.get(leaf.ownerUserId);
    if (!s) {
      // The owner's first leaf: its targets as they are (most owners have one leaf; no sums to add up).
      const f = input.figures.get(leaf.ownerUserId);
      s = leafOnly(leaf);
      s.ytdActual = f?.ytdActual ?? 0n;
      s.periodActual = f?.periodActual ?? 0n;
      s.previousYtdActual = s.ytdActual - s.periodActual;
      s.reported = f?.periodActual != null;
      sums.set(leaf.ownerUserId, s);
      continue;
    }
    s.ytdTarget += leaf.ytdTarget;
    s.periodTarget += leaf.ytdTarget - leaf.previousYtdTarget;
    s.previousYtdTarget += leaf.previousYtdTarget;
    s.annual += leaf.annual;
  }
  return sums;
}

/**
 * Each leaf's share of its owner's figures. A person reports one figure for all their leaves (docs/domain.md
 * "Progress"); where the leaves fall in different rows of a breakdown the figure is apportioned in proportion to
 * the leaves' annual targets (largest remainder, so the shares add up to the figure exactly). An owner of one
 * leaf: the leaf's sums are the owner's, from `people` (personSums).
 */
function attributeToLeaves(input: DigestInput, people: ReadonlyMap<string, Sums>): Map<DigestLeafInput, Sums> {
  const byOwner = new Map<string, DigestLeafInput | DigestLeafInput[]>();
  const out = new Map<DigestLeafInput, Sums>();
  for (const leaf of input.leaves) {
    if (leaf.ownerUserId === null) {
      out.set(leaf, leafOnly(leaf));
      continue;
    }
    const seen = byOwner.get(leaf.ownerUserId);
    if (seen === undefined) byOwner.set(leaf.ownerUserId, leaf);
    else if (Array.isArray(seen)) seen.push(leaf);
    else byOwner.set(leaf.ownerUserId, [seen, leaf]);
  }
  for (const [owner, leaves] of byOwner) {
    // One leaf: its share is the whole figure, so its sums are its owner's (the same object; neither is changed).
    if (!Array.isArray(leaves)) {
      out.set(leaves, people.get(owner)!);
      continue;
    }
    const f = input.figures.get(owner);
    const ytd = f?.ytdActual ?? 0n;
    const period = f?.periodActual ?? 0n;
    const weights = leaves.map((l) => l.annual);
    const share = (amount: bigint) => apportion(amount, weights.some((w) => w > 0n) ? weights : weights.map(() => 1n));
    const ytdShares = share(ytd);
    const periodShares = share(period);
    const previousShares = share(ytd - period);
    leaves.forEach((leaf, i) => {
      const s = leafOnly(leaf);
      s.ytdActual = ytdShares[i]!;
      s.periodActual = periodShares[i]!;
      s.previousYtdActual = previousShares[i]!;
      s.reported = f?.periodActual != null;
      out.set(leaf, s);
    });
  }
  return out;
}

/** largestRemainder for any sign (figures are never negative, but a sum of corrections must not throw). */
function apportion(amount: bigint, weights: bigint[]): bigint[] {
  if (amount >= 0n) return largestRemainder(amount, weights);
  return largestRemainder(-amount, weights).map((x) => -x);
}

function cumulativeSeries(series: DigestInput["series"]): Digest["series"] {
  let actual = 0n;
  let expected = 0n;
  return series.map((p) => {
    actual += p.actual;
    expected += p.expected;
    return {
      period: p.period,
      actual: p.actual,
      expected: p.expected,
      cumulativeActual: actual,
      cumulativeExpected: expected,
    };
  });
}

export { BREAKDOWN_TITLES, rankRows } from "./digest-breakdowns.ts";
export { figuresOf } from "./digest-sums.ts";
