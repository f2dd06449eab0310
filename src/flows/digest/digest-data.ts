import type { SqlRunner } from "../../db/sql.ts";
import { workdaysPending } from "../../domain/approval-step-due.ts";
import type { Calendar } from "../../domain/calendar.ts";
import { buildDigest, type DigestFigureInput, type DigestLeafInput } from "../../domain/digest.ts";
import type { DigestExceptionInputs } from "../../domain/digest-exceptions.ts";
import type { Digest } from "../../domain/digest-types.ts";
import { expectedAt, type LeafMonths, leafMonths, summedExpectedAt } from "../../domain/expected-points.ts";
import {
  type Cadence,
  nextPeriodKey,
  parsePeriodKey,
  periodRange,
  previousPeriodKey,
} from "../../domain/period-key.ts";
import { accrualPoint } from "../../domain/phasing.ts";
import { addDays } from "../../domain/plain-date.ts";
import { periodWorkdays, remainingWorkingPeriods } from "../../domain/run-rate.ts";
import { localDate } from "../../domain/zoned-time.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import { planNotFound } from "../../plans/plan-errors.ts";
import { digestPeriod, firstPeriodOfYear } from "./digest-period.ts";
import { assertSomethingToShow, digestScope, loadStaff, type StaffRow } from "./digest-scope.ts";

export interface LoadDigestOptions {
  planId: string;
  /** "2026-W50"; the latest closed period when left out. */
  period?: string;
  /** Whose digest: absent for the whole plan (the admin token). */
  viewerUserId?: string;
  calendar: Calendar;
  now: Date;
}

/** An outbox row not sent this long after it was due counts as undelivered (with every DEAD row). */
export const UNDELIVERED_AFTER_MINUTES = 15;

/**
 * The digest of a plan for a period and a viewer (issue #14), read set-based — a fixed handful of statements
 * whatever the plan's size — and aggregated by `buildDigest` (src/domain/digest.ts). The rules are the
 * product's own: live leaves (leaf-targets.ts), the figure in force per person and period (IMPORT beats
 * SELF_REPORT, latest wins), year to date = the keys of the plan year up to and including the period (as
 * evaluation sums them), expected from the month rows by phasing's accrual, per leaf.
 */
/**
 * Runs independent reads side by side on the pool (PostgreSQL overlaps them), one after another inside a
 * transaction: that is one connection, where node-postgres would queue them anyway and warns that it will
 * stop doing so. The database itself (`Database.sql`) is the runner with a `kind`; a transaction's has none.
 */
async function together<const T extends readonly (() => PromiseLike<unknown>)[]>(
  db: SqlRunner,
  reads: T,
): Promise<{ -readonly [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  if ("kind" in db) return (await Promise.all(reads.map((read) => read()))) as never;
  const out: unknown[] = [];
  for (const read of reads) out.push(await read());
  return out as never;
}

export async function loadDigest(db: SqlRunner, o: LoadDigestOptions): Promise<Digest> {
  const [plan] = await db.query<DigestPlanRow>(
    `SELECT id, name, fiscal_year AS "fiscalYear", metric::text AS metric, unit::text AS unit,
            owner_user_id AS "ownerUserId", timezone, cadence::text AS cadence, status::text AS status
       FROM plan WHERE id = $1`,
    [o.planId],
  );
  if (!plan) throw planNotFound(o.planId);
  const cadence = plan.cadence;
  const period = digestPeriod({ plan, period: o.period, calendar: o.calendar, now: o.now });
  const year = plan.fiscalYear;
  const published = plan.status !== "DRAFT";

  // The statements from here on do not depend on each other, except that a subtree's figures are read for its
  // members, known once the staff is: on PostgreSQL they run side by side on the pool (the staff, 50,000 rows
  // for a large company, beside the plan's tree rather than before it).
  const staffRead = loadStaff(db);
  const scopeRead = staffRead.then((staff) => {
    const scope = digestScope({ viewerUserId: o.viewerUserId, planOwnerUserId: plan.ownerUserId, staff });
    const inScope = (userId: string | null) =>
      scope.members === null ? true : userId !== null && scope.members.has(userId);
    return { staff, scope, inScope };
  });
  const treeRead = published ? loadTree(db, plan.id) : Promise.resolve([]);
  // Awaited below (inside `together`); the catches keep an early refusal (an unknown viewer, one who left) from
  // leaving a promise's failure unobserved — an unhandled rejection.
  const membersRead = scopeRead.then(({ scope }) => (scope.members === null ? null : [...scope.members]));
  const ownersRead = Promise.all([treeRead, scopeRead]).then(([nodes, { inScope }]) => ownersOf(nodes, inScope));
  for (const p of [scopeRead, treeRead, membersRead, ownersRead]) p.catch(() => {});
  // Periods of the year through this one.
  const periods: string[] = [];
  for (let k = firstPeriodOfYear(cadence, year); k <= period && parsePeriodKey(k).year === year; k = nextPeriodKey(k))
    periods.push(k);
  const [{ staff, scope, inScope }, tree, figures, exceptions, undelivered] = await together(db, [
    () => scopeRead,
    () => treeRead,
    () =>
      loadFigures(db, {
        planId: plan.id,
        metric: plan.metric,
        cadence,
        year,
        period,
        periods,
        members: membersRead,
        owners: ownersRead,
      }),
    () => loadExceptionInputs(db, { plan, period, tree: treeRead, scope: scopeRead, calendar: o.calendar, now: o.now }),
    () => countUndelivered(db, o.now),
  ] as const);
  assertSomethingToShow(scope, (id) => tree.some((t) => t.leaf && t.ownerUserId === id));
  const leaves = tree.filter((t) => t.leaf && inScope(t.ownerUserId));

  // Expected at the end of each period (and the day before the first).
  const firstFrom = periodRange(periods[0]!).from;
  const points = [addDays(firstFrom, -1), ...periods.map((p) => periodRange(p).to)].map((d) =>
    accrualPoint(year, d, o.calendar),
  );
  const months = leaves.map((l) => l.months!);
  const cumulative = summedExpectedAt(months, points);
  const end = points.at(-1)!;
  const before = accrualPoint(year, addDays(periodRange(period).from, -1), o.calendar);

  const previous = previousPeriodKey(period);
  const elapsed = periods.filter((p) => periodWorkdays(p, year, o.calendar) > 0).length;
  const remaining = remainingWorkingPeriods(nextPeriodKey(period), year, o.calendar);
  const byId = new Map(tree.map((t) => [t.id, t]));
  // Leaves under one parent share the path above them: built once per parent (a plan's 50,000 leaves have 20).
  type PathStep = DigestLeafInput["path"][number];
  const step = (n: TreeNode): PathStep => ({ dimension: n.dimension!, key: n.key, label: n.label });
  const above = new Map<string | null, PathStep[]>();
  const leafPath = (l: TreeNode): PathStep[] => {
    if (l.dimension === null) return [];
    let steps = above.get(l.parentId);
    if (!steps) {
      const parent = byId.get(l.parentId ?? "");
      steps = parent ? pathOf(parent, byId).map(step) : [];
      above.set(l.parentId, steps);
    }
    return [...steps, step(l)];
  };
  return buildDigest({
    plan: {
      id: plan.id,
      name: plan.name,
      fiscalYear: year,
      cadence,
      unit: plan.unit,
      metric: plan.metric,
    },
    period,
    previousPeriod: parsePeriodKey(previous).year === year ? previous : null,
    viewer: scope.viewer,
    pace: { elapsed, total: elapsed + remaining, remaining },
    leaves: leaves.map(
      (l): DigestLeafInput => ({
        targetId: l.id,
        ownerUserId: l.ownerUserId,
        path: leafPath(l),
        annual: expectedAt(l.months!, { month: 13, num: 0n, den: 1n }),
        ytdTarget: expectedAt(l.months!, end),
        previousYtdTarget: expectedAt(l.months!, before),
      }),
    ),
    people: staff,
    teamRoot: scope.teamRoot,
    figures: figures.byOwner,
    series: periods.map((p, i) => ({
      period: p,
      actual: figures.byPeriod.get(p) ?? 0n,
      expected: cumulative[i + 1]! - cumulative[i]!,
    })),
    exceptions,
    undelivered,
  });
}

/** The plan's columns the digest uses. */
interface DigestPlanRow {
  id: string;
  name: string;
  fiscalYear: number;
  metric: string;
  unit: string;
  ownerUserId: string;
  timezone: string;
  cadence: Cadence;
  status: string;
}

/** A target of the plan that is not archived; `months` for live leaves. */
interface TreeNode {
  id: string;
  parentId: string | null;
  dimension: string | null;
  key: string;
  label: string;
  ownerUserId: string | null;
  version: number;
  state: string;
  leaf: boolean;
  months: LeafMonths | null;
  /** A live PUBLISHED leaf whose owner has not confirmed its version and has no dispute of it pending. */
  unacked: boolean;
}

/** The owners of the live leaves in scope: whose figures count (the plan's or the subtree's). */
function ownersOf(tree: readonly TreeNode[], inScope: (userId: string | null) => boolean): Set<string> {
  const owners = new Set<string>();
  for (const t of tree) if (t.leaf && t.ownerUserId !== null && inScope(t.ownerUserId)) owners.add(t.ownerUserId);
  return owners;
}

async function loadTree(db: SqlRunner, planId: string): Promise<TreeNode[]> {
  const rows = await db.query<{
    id: string;
    parent_id: string | null;
    dimension: string | null;
    key: string;
    label: string;
    owner_user_id: string | null;
    version: number;
    state: string;
    months: string | null;
    unacked: boolean;
  }>(
    // Which targets are live leaves is decided here once; the figures and the unconfirmed targets take it from
    // these rows instead of asking again (three statements each did, over every target of the plan). Joins, not
    // correlated subqueries in the select list: those are costed per row, and PostgreSQL then JIT-compiles the
    // statement (≈ 0.1–0.25 s at 50,000 targets) for a few hashed look-ups.
    `WITH leaf AS (SELECT t.id FROM target t WHERE t.plan_id = $1 AND ${liveLeafSql("t")})
     SELECT t.id, t.parent_id, t.dimension::text AS dimension, t.key, t.label, t.owner_user_id, t.version,
            t.state::text AS state, CASE WHEN l.id IS NOT NULL THEN array_to_string(m.amounts, ',') END AS months,
            l.id IS NOT NULL AND t.state = 'PUBLISHED' AND k.target_id IS NULL AND d.target_id IS NULL AS unacked
       FROM target t
       LEFT JOIN leaf l ON l.id = t.id
       LEFT JOIN target_month_amounts m ON m.target_id = t.id
       LEFT JOIN target_ack k ON k.target_id = t.id AND k.version = t.version
       LEFT JOIN (SELECT DISTINCT r.target_id, r.target_version FROM change_request r
                   WHERE r.kind = 'DISPUTE' AND r.status = 'PENDING') d
              ON d.target_id = t.id AND d.target_version = t.version
      WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED'`,
    [planId],
  );
  return rows.map((r) => ({
    id: r.id,
    parentId: r.parent_id,
    dimension: r.dimension,
    key: r.key,
    label: r.label,
    ownerUserId: r.owner_user_id,
    version: Number(r.version),
    state: r.state,
    leaf: r.months !== null,
    months: r.months === null ? null : leafMonths(r.months.split(",")),
    unacked: r.unacked,
  }));
}

/** The nodes from below the root down to `node` itself (the root has no dimension: it splits nothing off). */
function pathOf(node: TreeNode, byId: ReadonlyMap<string, TreeNode>): TreeNode[] {
  const path: TreeNode[] = [];
  for (let at: TreeNode | undefined = node; at && at.dimension !== null; at = byId.get(at.parentId ?? ""))
    path.push(at);
  return path.reverse();
}

const pathText = (node: TreeNode, byId: ReadonlyMap<string, TreeNode>) =>
  pathOf(node, byId)
    .map((n) => n.label)
    .join(" / ") || node.label;

/**
 * The figures in force of the plan's owners (the live leaves' owners in scope, `owners`, known once the tree is
 * read), for the keys of the plan year up to and including `period`: per person (year to date, this period) and
 * per period (the series' bars). Read from what the trigger on progress_entry keeps (migration
 * 20261208010000_digest_kept, docs/architecture.md): per person one row, whose arrays at the period's number give
 * their running total (year to date) and the period's figure in force — everyone's with figures in the plan's
 * series (or the subtree's `members`' by index), the owners picked out here; per period the plan's kept totals
 * (or, for a subtree, the sums of its members' `amounts` arrays up to the period's number) less the figures of
 * those read who are not owners (usually nobody: no further statement).
 */
async function loadFigures(
  db: SqlRunner,
  a: {
    planId: string;
    metric: string;
    cadence: Cadence;
    year: number;
    period: string;
    /** The keys of the plan year up to and including `period`, oldest first. */
    periods: readonly string[];
    members: Promise<string[] | null>;
    owners: Promise<Set<string>>;
  },
): Promise<{ byOwner: Map<string, DigestFigureInput>; byPeriod: Map<string, bigint> }> {
  const series = seriesOf(a.cadence, a.year);
  const members = await a.members;
  const index = parsePeriodKey(a.period).index;
  const [people, bars] = await together(db, [
    () =>
      db.query<{ user_id: string; amount: string | null; ytd: string }>(
        `SELECT p.user_id, p.amounts[$4]::text AS amount, p.ytd[$4]::text AS ytd FROM progress_series_person p
          WHERE p.plan_id = $1 AND p.metric = $2::"Metric" AND p.series = $3
            AND ($5::text[] IS NULL OR p.user_id = ANY($5::text[]))`,
        [a.planId, a.metric, series, index, members],
      ),
    () =>
      members === null
        ? db.query<{ period: string; total: string }>(
            // A period's total is kept in up to 16 shards (migration 20261211020000_period_total_shards).
            `SELECT t.period, sum(t.amount)::text AS total FROM progress_period_total t
              WHERE t.plan_id = $1 AND t.metric = $2::"Metric" AND t.series = $3 AND t.period <= $4
              GROUP BY t.period`,
            [a.planId, a.metric, series, a.period],
          )
        : subtreeBars(db, { ...a, series, index, members }),
  ] as const);
  const owners = await a.owners;
  const byOwner = new Map<string, DigestFigureInput>();
  const others: string[] = [];
  for (const r of people) {
    if (owners.has(r.user_id))
      byOwner.set(r.user_id, { ytdActual: BigInt(r.ytd), periodActual: r.amount === null ? null : BigInt(r.amount) });
    else others.push(r.user_id);
  }
  const byPeriod = new Map(bars.map((r) => [r.period, BigInt(r.total)]));
  if (others.length > 0) {
    // The totals count everyone's figures (the plan's or the members'); those of people who own no live leaf in
    // scope are not the digest's.
    const extra = await db.query<{ period: string; total: string }>(
      `SELECT f.period, sum(f.amount)::text AS total FROM progress_figure f
        WHERE f.plan_id = $1 AND f.metric = $2::"Metric" AND f.series = $3 AND f.period <= $4
          AND f.user_id = ANY($5::text[])
        GROUP BY f.period`,
      [a.planId, a.metric, series, a.period, others],
    );
    for (const r of extra) byPeriod.set(r.period, (byPeriod.get(r.period) ?? 0n) - BigInt(r.total));
  }
  return { byOwner, byPeriod };
}

/**
 * A subtree's weekly bars: its members' period figures summed by the period's number, from their
 * progress_series_person rows (read by index; summing their progress_figure rows joined to the live leaves'
 * owners read every target of the plan again).
 */
async function subtreeBars(
  db: SqlRunner,
  a: { planId: string; metric: string; series: string; index: number; members: string[]; periods: readonly string[] },
): Promise<{ period: string; total: string }[]> {
  const rows = await db.query<{ n: number; total: string }>(
    `SELECT u.n::int AS n, sum(u.amount)::text AS total
       FROM progress_series_person p
       CROSS JOIN LATERAL unnest(p.amounts[1:$4]) WITH ORDINALITY AS u(amount, n)
      WHERE p.plan_id = $1 AND p.metric = $2::"Metric" AND p.series = $3 AND p.user_id = ANY($5::text[])
        AND u.amount IS NOT NULL
      GROUP BY u.n`,
    [a.planId, a.metric, a.series, a.index, a.members],
  );
  const key = new Map(a.periods.map((p) => [parsePeriodKey(p).index, p]));
  return rows.flatMap((r) => (key.has(r.n) ? [{ period: key.get(r.n)!, total: r.total }] : []));
}

/** The series a period key of this cadence and year belongs to, as progress_series_of() gives it in SQL. */
export function seriesOf(cadence: Cadence, year: number): string {
  return `${year}-${cadence === "WEEK" ? "W" : cadence === "QUARTER" ? "Q" : ""}`;
}

async function loadExceptionInputs(
  db: SqlRunner,
  a: {
    plan: { id: string; timezone: string };
    period: string;
    tree: Promise<TreeNode[]>;
    scope: Promise<{ staff: ReadonlyMap<string, StaffRow>; inScope: (userId: string | null) => boolean }>;
    calendar: Calendar;
    now: Date;
  },
): Promise<DigestExceptionInputs> {
  const [escalations, verdicts, steps] = await together(db, [
    () =>
      db.query<{ user_id: string; streak: number }>(
        `SELECT owner_user_id AS user_id, streak FROM escalation WHERE plan_id = $1 AND status = 'OPEN'`,
        [a.plan.id],
      ),
    () =>
      db.query<{ user_id: string; status: string; target: string; actual: string | null }>(
        `SELECT user_id, status::text AS status, target::text AS target, actual::text AS actual
         FROM period_evaluation WHERE plan_id = $1 AND period = $2 AND status <> 'MET'`,
        [a.plan.id, a.period],
      ),
    () =>
      db.query<{ request_id: string; target_id: string; approver_user_id: string; pending_since: Date }>(
        `SELECT s.request_id, r.target_id, s.approver_user_id, s.pending_since
         FROM approval_step s JOIN change_request r ON r.id = s.request_id
        WHERE r.plan_id = $1 AND r.status = 'PENDING' AND s.status = 'PENDING' AND s.pending_since IS NOT NULL`,
        [a.plan.id],
      ),
  ] as const);
  const tree = await a.tree;
  const { staff, inScope } = await a.scope;
  const name = (id: string | null) => (id === null ? null : (staff.get(id)?.name ?? id));
  const byId = new Map(tree.map((t) => [t.id, t]));
  const today = localDate(a.now, a.plan.timezone);
  const inScopeUser = (id: string) => inScope(id);
  return {
    escalations: escalations
      .filter((e) => inScopeUser(e.user_id))
      .map((e) => ({ userId: e.user_id, name: name(e.user_id)!, streak: Number(e.streak) })),
    misses: verdicts
      .filter((v) => v.status === "MISSED" && inScopeUser(v.user_id))
      .map((v) => ({
        userId: v.user_id,
        name: name(v.user_id)!,
        target: BigInt(v.target),
        actual: v.actual === null ? null : BigInt(v.actual),
      })),
    excused: new Set(verdicts.filter((v) => v.status === "EXCUSED").map((v) => v.user_id)),
    unconfirmed: tree
      .filter((t) => t.unacked && t.ownerUserId !== null && staff.get(t.ownerUserId)?.active && inScope(t.ownerUserId))
      .map((t) => ({
        targetId: t.id,
        userId: t.ownerUserId!,
        name: name(t.ownerUserId)!,
        path: pathText(t, byId),
        version: t.version,
      })),
    approvals: steps.flatMap((s) => {
      const t = byId.get(s.target_id);
      if (!t || !inScope(t.ownerUserId)) return [];
      const workdays = workdaysPending(localDate(new Date(s.pending_since), a.plan.timezone), today, a.calendar);
      if (workdays < 1) return [];
      return [
        {
          requestId: s.request_id,
          targetId: t.id,
          approverUserId: s.approver_user_id,
          approverName: name(s.approver_user_id)!,
          ownerName: name(t.ownerUserId),
          path: pathText(t, byId),
          workdays,
        },
      ];
    }),
    needsOwner: tree
      .filter((t) => t.leaf && t.state === "PUBLISHED")
      .filter((t) => (t.ownerUserId === null ? inScope(null) : staff.get(t.ownerUserId)?.active === false))
      .filter((t) => inScope(t.ownerUserId))
      .map((t) => ({
        targetId: t.id,
        path: pathText(t, byId),
        ownerUserId: t.ownerUserId,
        ownerName: name(t.ownerUserId),
      })),
  };
}

/**
 * Bot health: outbox rows DingTalk has not taken — DEAD, or still waiting well after they were due. Counted for
 * the whole service: a row's recipients are inside its payload in several shapes, and a stuck sender stalls
 * everyone's messages alike.
 */
async function countUndelivered(db: SqlRunner, now: Date): Promise<number> {
  const [row] = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM outbox_message
      WHERE status = 'DEAD' OR (status IN ('PENDING', 'SENDING') AND next_attempt_at < $1::timestamptz)`,
    [new Date(now.getTime() - UNDELIVERED_AFTER_MINUTES * 60_000)],
  );
  return Number(row?.n ?? 0);
}
