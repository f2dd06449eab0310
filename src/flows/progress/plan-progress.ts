import type { Database } from "../../db/database.ts";
import { type Calendar, defaultCalendar, parsePeriodKey } from "../../domain/calendar.ts";
import { expectedForPeriod } from "../../domain/phasing.ts";
import { AppError } from "../../lib/errors.ts";
import { planNotFound } from "../../plans/plan-errors.ts";

export interface OwnerProgress {
  userId: string;
  name: string;
  /** Expected for the period: each of the person's leaf targets' months, by working days. */
  target: bigint;
  /** The figure in force: the latest IMPORT, else the latest SELF_REPORT; null when nothing was reported. */
  actual: bigint | null;
  /** actual ÷ target, 4 decimals; null without a report or with a zero target. */
  attainment: number | null;
  reported: boolean;
  source: "IMPORT" | "SELF_REPORT" | null;
  newCustomers: number | null;
}

/** Per owner of a plan's leaf targets, for one period: target, actual, attainment, reported. */
export async function planProgress(db: Database, planId: string, period: string, calendar: Calendar = defaultCalendar) {
  const plan = await db.prisma.plan.findUnique({ where: { id: planId } });
  if (!plan) throw planNotFound(planId);
  let parts: ReturnType<typeof parsePeriodKey>;
  try {
    parts = parsePeriodKey(period);
  } catch {
    throw new AppError("VALIDATION", `期间“${period}”无效，应如 2026-W14、2026-04 或 2026-Q2`);
  }
  if (parts.cadence !== plan.cadence)
    throw new AppError("VALIDATION", `该计划按 ${plan.cadence} 跟进，期间 ${period} 不匹配`);
  const leaves = await db.sql.query<{ user_id: string; name: string; months: string[] }>(
    `SELECT t.owner_user_id AS user_id, s.name, array_agg(m.amount::text ORDER BY m.month) AS months
       FROM target t JOIN staff s ON s.user_id = t.owner_user_id JOIN target_month m ON m.target_id = t.id
      WHERE t.plan_id = $1 AND t.state <> 'ARCHIVED'
        AND NOT EXISTS (SELECT 1 FROM target c WHERE c.parent_id = t.id AND c.state <> 'ARCHIVED')
      GROUP BY t.id, t.owner_user_id, s.name`,
    [planId],
  );
  const entries = await db.sql.query<{
    user_id: string;
    amount: bigint;
    source: "IMPORT" | "SELF_REPORT";
    new_customers: number | null;
  }>(
    `SELECT DISTINCT ON (user_id) user_id, amount, source::text AS source, new_customers
       FROM progress_entry WHERE plan_id = $1 AND period = $2 AND metric = $3::"Metric"
      ORDER BY user_id, (source = 'IMPORT') DESC, id DESC`,
    [planId, period, plan.metric],
  );
  const byUser = new Map(entries.map((e) => [e.user_id, e]));
  const owners = new Map<string, OwnerProgress>();
  for (const l of leaves) {
    const expected = expectedForPeriod(l.months.map(BigInt), plan.fiscalYear, period, calendar);
    const o = owners.get(l.user_id) ?? blank(l.user_id, l.name, byUser.get(l.user_id));
    o.target += expected;
    owners.set(l.user_id, o);
  }
  const rows = [...owners.values()].map((o) => ({
    ...o,
    attainment: o.actual === null || o.target === 0n ? null : Number((o.actual * 10_000n) / o.target) / 10_000,
  }));
  rows.sort((a, b) => a.userId.localeCompare(b.userId));
  const reported = rows.filter((r) => r.reported).length;
  return { planId, period, metric: plan.metric, owners: rows, reported, total: rows.length };
}

function blank(
  userId: string,
  name: string,
  e: { amount: bigint; source: "IMPORT" | "SELF_REPORT"; new_customers: number | null } | undefined,
): OwnerProgress {
  return {
    userId,
    name,
    target: 0n,
    actual: e ? BigInt(e.amount) : null,
    attainment: null,
    reported: e !== undefined,
    source: e?.source ?? null,
    newCustomers: e?.new_customers ?? null,
  };
}
