/**
 * The weekly digest's shape (issue #14): what `GET /api/plans/:id/digest` answers, what the weekly-digest job
 * renders into markdown and a chart, and what the dashboard draws. Amounts are bigint here and exact decimal
 * strings on the wire (the `bigintJson` middleware); attainment is a ratio (1 = 100 %), null when the target is 0.
 */

export interface DigestFigures {
  /** Sum of the figures in force for every period up to and including this one. */
  ytdActual: bigint;
  /** Expected to date: the phased target of every period up to and including this one. */
  ytdTarget: bigint;
  ytdAttainment: number | null;
  /** This period. */
  periodActual: bigint;
  periodTarget: bigint;
  periodAttainment: number | null;
  /** The same period's attainment one period earlier (YTD up to the previous period), for the change. */
  previousYtdAttainment: number | null;
  /** The full-year target of the scope. */
  annualTarget: bigint;
  /** Year-end total at the current pace (YTD actual / elapsed working periods × all working periods). */
  projectedYearEnd: bigint;
  /** Per remaining working period, to reach the annual target. */
  requiredRunRate: bigint;
}

/** One row of a breakdown: a region, product line, channel, segment, team or person. */
export interface DigestRow {
  /** Target key path or user id: stable, for drill-down links. */
  key: string;
  label: string;
  /** Owner's name where the row is a person or an owned target. */
  ownerName?: string;
  figures: DigestFigures;
  /** Change in YTD attainment, percentage points, vs the previous period (null when either is null). */
  deltaPoints: number | null;
}

export interface DigestBreakdown {
  /** REGION, PRODUCT_LINE, CHANNEL, CUSTOMER_SEGMENT (the plan's split dimensions, as the Dimension enum), or TEAM. */
  dimension: string;
  /** 区域 / 产品线 / 渠道 / 客户类型 / 团队 */
  title: string;
  rows: DigestRow[];
}

export type DigestExceptionKind =
  | "ESCALATION" // open escalation with its streak
  | "MISS" // this period's miss
  | "NOT_REPORTED"
  | "UNCONFIRMED"
  | "APPROVAL_OVERDUE" // pending longer than one workday
  | "NEEDS_OWNER"; // a target whose owner left / needs reassignment

export interface DigestException {
  kind: DigestExceptionKind;
  userId?: string;
  name?: string;
  targetId?: string;
  /** Target path, e.g. 华东 / 工业品 / 线下 / 李娜. */
  path?: string;
  /** The sentence a director reads, e.g. 「张三 连续2周未达标」. */
  text: string;
  /** ESCALATION: consecutive missed periods. */
  streak?: number;
  /** APPROVAL_OVERDUE: change request id. */
  requestId?: string;
}

export interface DigestRank {
  userId?: string;
  key: string;
  label: string;
  attainment: number | null;
  ytdActual: bigint;
  ytdTarget: bigint;
}

export interface Digest {
  plan: { id: string; name: string; fiscalYear: number; cadence: string; unit: string; metric: string };
  period: string;
  previousPeriod: string | null;
  viewer: { userId: string | null; name: string | null; scope: "PLAN" | "SUBTREE"; role: string | null };
  totals: DigestFigures;
  breakdowns: DigestBreakdown[];
  exceptions: DigestException[];
  /**
   * How many exceptions of each kind there are in scope: `exceptions` lists at most 20 of each kind (in the order
   * of the kinds above), so a reader can say 「等共 N 人」.
   */
  exceptionCounts?: Record<DigestExceptionKind, number>;
  top: { people: DigestRank[]; regions: DigestRank[] };
  bottom: { people: DigestRank[]; regions: DigestRank[] };
  freshness: { owners: number; reported: number; share: number | null };
  health: { undelivered: number };
  /** Per period up to this one: for the bars-and-line chart. */
  series: { period: string; actual: bigint; expected: bigint; cumulativeActual: bigint; cumulativeExpected: bigint }[];
  /** Nothing published in scope, or nothing reported this period and nothing to flag: the job sends nothing. */
  empty: boolean;
}
