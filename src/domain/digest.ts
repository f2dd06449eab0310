import { attainment } from "./attainment.ts";
import { type DigestExceptionInputs, digestExceptions } from "./digest-exceptions.ts";
import type { Digest, DigestBreakdown, DigestFigures, DigestRank, DigestRow } from "./digest-types.ts";
import { largestRemainder } from "./largest-remainder.ts";
import type { Cadence } from "./period-key.ts";
import { roundDiv } from "./round-div.ts";
import { requiredRunRate } from "./run-rate.ts";

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

/** Accumulated amounts of a row (a person, a dimension value, the whole scope). */
interface Sums {
  ytdActual: bigint;
  ytdTarget: bigint;
  periodActual: bigint;
  periodTarget: bigint;
  previousYtdActual: bigint;
  previousYtdTarget: bigint;
  annual: bigint;
  reported: boolean;
}

const blank = (): Sums => ({
  ytdActual: 0n,
  ytdTarget: 0n,
  periodActual: 0n,
  periodTarget: 0n,
  previousYtdActual: 0n,
  previousYtdTarget: 0n,
  annual: 0n,
  reported: false,
});

function addInto(s: Sums, x: Sums): void {
  s.ytdActual += x.ytdActual;
  s.ytdTarget += x.ytdTarget;
  s.periodActual += x.periodActual;
  s.periodTarget += x.periodTarget;
  s.previousYtdActual += x.previousYtdActual;
  s.previousYtdTarget += x.previousYtdTarget;
  s.annual += x.annual;
  s.reported ||= x.reported;
}

export const BREAKDOWN_TITLES: Record<string, string> = {
  REGION: "区域",
  PRODUCT_LINE: "产品线",
  CHANNEL: "渠道",
  CUSTOMER_SEGMENT: "客户类型",
  TEAM: "团队",
};
const DIMENSION_ORDER = ["REGION", "PRODUCT_LINE", "CHANNEL", "CUSTOMER_SEGMENT"];
const RANK_SIZE = 5;

/** Builds the digest from its rows. */
export function buildDigest(input: DigestInput): Digest {
  const people = personSums(input);
  const leafSums = attributeToLeaves(input);
  const totals = blank();
  for (const s of people.values()) addInto(totals, s);
  // Leaves of people without a figure and of no one (a leaver's, an unowned one) still carry their target.
  for (const leaf of input.leaves) if (leaf.ownerUserId === null) addInto(totals, leafOnly(leaf));

  const dimensionRows = dimensionBreakdowns(input, leafSums);
  const team = teamBreakdown(input, people);
  const breakdowns = team.rows.length > 0 ? [...dimensionRows, team] : dimensionRows;
  const region = dimensionRows.find((b) => b.dimension === "REGION");
  const rankedPeople = rankRows(personRows(input, people));
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

function leafOnly(leaf: DigestLeafInput): Sums {
  return {
    ...blank(),
    ytdTarget: leaf.ytdTarget,
    periodTarget: leaf.ytdTarget - leaf.previousYtdTarget,
    previousYtdTarget: leaf.previousYtdTarget,
    annual: leaf.annual,
  };
}

/** Per owner: their leaves' targets summed (as evaluation judges a person) and their figures. */
function personSums(input: DigestInput): Map<string, Sums> {
  const sums = new Map<string, Sums>();
  for (const leaf of input.leaves) {
    if (leaf.ownerUserId === null) continue;
    let s = sums.get(leaf.ownerUserId);
    if (!s) {
      const f = input.figures.get(leaf.ownerUserId);
      s = blank();
      s.ytdActual = f?.ytdActual ?? 0n;
      s.periodActual = f?.periodActual ?? 0n;
      s.previousYtdActual = s.ytdActual - s.periodActual;
      s.reported = f?.periodActual != null;
      sums.set(leaf.ownerUserId, s);
    }
    const own = leafOnly(leaf);
    s.ytdTarget += own.ytdTarget;
    s.periodTarget += own.periodTarget;
    s.previousYtdTarget += own.previousYtdTarget;
    s.annual += own.annual;
  }
  return sums;
}

/**
 * Each leaf's share of its owner's figures. A person reports one figure for all their leaves (docs/domain.md
 * "Progress"); where the leaves fall in different rows of a breakdown the figure is apportioned in proportion to
 * the leaves' annual targets (largest remainder, so the shares add up to the figure exactly).
 */
function attributeToLeaves(input: DigestInput): Map<DigestLeafInput, Sums> {
  const byOwner = new Map<string, DigestLeafInput[]>();
  for (const leaf of input.leaves) {
    if (leaf.ownerUserId === null) continue;
    const list = byOwner.get(leaf.ownerUserId);
    if (list) list.push(leaf);
    else byOwner.set(leaf.ownerUserId, [leaf]);
  }
  const out = new Map<DigestLeafInput, Sums>();
  for (const leaf of input.leaves) if (leaf.ownerUserId === null) out.set(leaf, leafOnly(leaf));
  for (const [owner, leaves] of byOwner) {
    const f = input.figures.get(owner);
    const ytd = f?.ytdActual ?? 0n;
    const period = f?.periodActual ?? 0n;
    const weights = leaves.map((l) => l.annual);
    const share = (amount: bigint) =>
      leaves.length === 1 ? [amount] : apportion(amount, weights.some((w) => w > 0n) ? weights : weights.map(() => 1n));
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

function dimensionBreakdowns(input: DigestInput, leafSums: Map<DigestLeafInput, Sums>): DigestBreakdown[] {
  const groups = new Map<string, Map<string, { label: string; sums: Sums }>>();
  for (const leaf of input.leaves) {
    const s = leafSums.get(leaf)!;
    for (const node of leaf.path) {
      if (!DIMENSION_ORDER.includes(node.dimension)) continue;
      let rows = groups.get(node.dimension);
      if (!rows) {
        rows = new Map();
        groups.set(node.dimension, rows);
      }
      let row = rows.get(node.key);
      if (!row) {
        row = { label: node.label, sums: blank() };
        rows.set(node.key, row);
      }
      addInto(row.sums, s);
    }
  }
  return DIMENSION_ORDER.filter((d) => groups.has(d)).map((dimension) => ({
    dimension,
    title: BREAKDOWN_TITLES[dimension]!,
    rows: sortRows([...groups.get(dimension)!].map(([key, r]) => row(key, r.label, r.sums, input.pace))),
  }));
}

/** Largest annual target first, then by key: the order a director scans a breakdown in. */
function sortRows(rows: DigestRow[]): DigestRow[] {
  return rows.sort(
    (a, b) =>
      compareBig(b.figures.annualTarget, a.figures.annualTarget) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
  );
}

function compareBig(a: bigint, b: bigint): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

function row(key: string, label: string, s: Sums, pace: DigestInput["pace"], ownerName?: string): DigestRow {
  const figures = figuresOf(s, pace);
  return { key, label, ...(ownerName === undefined ? {} : { ownerName }), figures, deltaPoints: delta(figures) };
}

/** Change in YTD attainment, in percentage points to two decimals. */
function delta(f: DigestFigures): number | null {
  if (f.ytdAttainment === null || f.previousYtdAttainment === null) return null;
  return Math.round((f.ytdAttainment - f.previousYtdAttainment) * 10_000) / 100;
}

/**
 * TEAM: each direct report of the team root with everyone under them (a manager's team is their subtree), and
 * the root's own targets as a row of their own. An owner outside the root's tree is grouped under the top of
 * their own chain.
 */
function teamBreakdown(input: DigestInput, people: Map<string, Sums>): DigestBreakdown {
  const rowOf = new Map<string, string>();
  const teamOf = (userId: string): string => {
    const known = rowOf.get(userId);
    if (known !== undefined) return known;
    // Up the chain until the root: the last person before it is the team; without the root, the chain's top.
    let below = userId;
    let at = userId === input.teamRoot ? null : (input.people.get(userId)?.managerUserId ?? null);
    const seen = new Set([userId]);
    while (at !== null && at !== input.teamRoot && !seen.has(at)) {
      seen.add(at);
      below = at;
      at = input.people.get(at)?.managerUserId ?? null;
    }
    rowOf.set(userId, below);
    return below;
  };
  const teams = new Map<string, { sums: Sums; members: number }>();
  for (const [userId, s] of people) {
    const key = teamOf(userId);
    let t = teams.get(key);
    if (!t) {
      t = { sums: blank(), members: 0 };
      teams.set(key, t);
    }
    addInto(t.sums, s);
    t.members++;
  }
  const rows = [...teams].map(([key, t]) => {
    const name = input.people.get(key)?.name ?? key;
    const label = t.members > 1 || !people.has(key) ? `${name}团队` : name;
    return row(key, label, t.sums, input.pace, name);
  });
  return { dimension: "TEAM", title: BREAKDOWN_TITLES.TEAM!, rows: sortRows(rows) };
}

function personRows(input: DigestInput, people: Map<string, Sums>): DigestRow[] {
  return [...people]
    .filter(([id]) => input.people.get(id)?.active)
    .map(([id, s]) => {
      const name = input.people.get(id)?.name ?? id;
      return row(id, name, s, input.pace, name);
    });
}

/** Top and bottom by YTD attainment (rows without one are not ranked); the two lists never share a row. */
export function rankRows(rows: DigestRow[]): { top: DigestRank[]; bottom: DigestRank[] } {
  const ranked = rows
    .filter((r) => r.figures.ytdAttainment !== null)
    .sort(
      (a, b) =>
        b.figures.ytdAttainment! - a.figures.ytdAttainment! ||
        compareBig(b.figures.ytdActual, a.figures.ytdActual) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
  const rank = (r: DigestRow): DigestRank => ({
    ...(isUserRow(r) ? { userId: r.key } : {}),
    key: r.key,
    label: r.label,
    attainment: r.figures.ytdAttainment,
    ytdActual: r.figures.ytdActual,
    ytdTarget: r.figures.ytdTarget,
  });
  const top = ranked.slice(0, RANK_SIZE);
  const bottom = ranked.slice(Math.max(top.length, ranked.length - RANK_SIZE)).reverse();
  return { top: top.map(rank), bottom: bottom.map(rank) };
}

const isUserRow = (r: DigestRow) => r.ownerName !== undefined;

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
