/*
 * Expected-to-date (phasing.ts `expectedToDate`) for many leaves at many accrual points at once, for the digest:
 * 50,000 leaves × 53 weeks is 2.6 million evaluations, so the arithmetic runs in plain numbers whenever that is
 * exact (a month amount below 2^47 times a numerator of at most 31 stays below 2^53) and in bigint otherwise.
 * The rule is phasing's: every month before the point in full, plus ⌊month amount × num ÷ den⌋, per leaf.
 */

/** `accrualPoint` (phasing.ts) of a date: the month, and how much of it has accrued (num/den). */
export interface AccrualPointLike {
  month: number;
  num: bigint;
  den: bigint;
}

/** Month amounts below this make every product `amount × num` (num ≤ 31) an exact double. */
const SAFE_MONTH_AMOUNT = 2 ** 47;

/** A leaf's twelve month amounts, in the representation its arithmetic will use. */
export type LeafMonths = { exact: "number"; months: number[] } | { exact: "bigint"; months: bigint[] };

/** Reads twelve decimal month amounts ("1200000") as numbers when that stays exact, else as bigints. */
export function leafMonths(texts: readonly string[]): LeafMonths {
  const numbers = texts.map(Number);
  if (numbers.every((n) => n < SAFE_MONTH_AMOUNT)) return { exact: "number", months: numbers };
  return { exact: "bigint", months: texts.map(BigInt) };
}

/** Expected through a point for one leaf, exactly as `expectedToDate` computes it. */
export function expectedAt(leaf: LeafMonths, p: AccrualPointLike): bigint {
  if (leaf.exact === "number") {
    const m = leaf.months;
    let whole = 0;
    for (let i = 0; i < p.month - 1 && i < 12; i++) whole += m[i]!;
    const within = p.month <= 12 ? Math.floor((m[p.month - 1]! * Number(p.num)) / Number(p.den)) : 0;
    // `whole` is at most 12 × 2^47 < 2^53: exact.
    return BigInt(whole) + BigInt(within);
  }
  const m = leaf.months;
  let whole = 0n;
  for (let i = 0; i < p.month - 1 && i < 12; i++) whole += m[i]!;
  return whole + (p.month <= 12 ? (m[p.month - 1]! * p.num) / p.den : 0n);
}

/**
 * Adds whole amounts exactly without a bigint per addition: numbers accumulate while the running total is safely
 * below 2^53 and are carried into a bigint before it could lose a unit.
 */
export class ExactSum {
  private small = 0;
  private big = 0n;

  add(value: number): void {
    if (value >= SAFE_MONTH_AMOUNT || this.small >= 2 ** 52) this.flush();
    if (value >= SAFE_MONTH_AMOUNT) this.big += BigInt(value);
    else this.small += value;
  }

  addBig(value: bigint): void {
    this.big += value;
  }

  value(): bigint {
    return this.big + BigInt(this.small);
  }

  private flush(): void {
    this.big += BigInt(this.small);
    this.small = 0;
  }
}

/**
 * The sum over leaves of expected-to-date at each point, exactly the sum of per-leaf {@link expectedAt}: the
 * series' cumulative expected line. Whole months are summed once per leaf, the part-months per point.
 */
export function summedExpectedAt(leaves: readonly LeafMonths[], points: readonly AccrualPointLike[]): bigint[] {
  const monthSums = Array.from({ length: 12 }, () => new ExactSum());
  const partial = points.map(() => new ExactSum());
  const numeric = points.map((p) => ({ month: p.month, num: Number(p.num), den: Number(p.den) }));
  for (const leaf of leaves) {
    if (leaf.exact === "number") {
      for (let i = 0; i < 12; i++) monthSums[i]!.add(leaf.months[i]!);
      for (let j = 0; j < numeric.length; j++) {
        const p = numeric[j]!;
        if (p.month <= 12 && p.num > 0) partial[j]!.add(Math.floor((leaf.months[p.month - 1]! * p.num) / p.den));
      }
    } else {
      for (let i = 0; i < 12; i++) monthSums[i]!.addBig(leaf.months[i]!);
      points.forEach((p, j) => {
        if (p.month <= 12) partial[j]!.addBig((leaf.months[p.month - 1]! * p.num) / p.den);
      });
    }
  }
  const totals = monthSums.map((s) => s.value());
  return points.map((p, j) => {
    let whole = 0n;
    for (let i = 0; i < p.month - 1 && i < 12; i++) whole += totals[i]!;
    return whole + partial[j]!.value();
  });
}
