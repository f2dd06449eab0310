import type { Database } from "../../db/database.ts";
import { attainment } from "../../domain/attainment.ts";
import { type Calendar, defaultCalendar } from "../../domain/calendar.ts";
import { parsePeriodKey } from "../../domain/period-key.ts";
import { AppError } from "../../lib/errors.ts";
import { truncateForEcho } from "../../lib/text-rule.ts";
import { planNotFound } from "../../plans/plan-errors.ts";
import { type FigureInForce, figuresInForce, leafPeriodTarget, ownerLeaves } from "./progress-queries.ts";

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
    throw new AppError("VALIDATION", `期间“${truncateForEcho(period, 40)}”无效，应如 2026-W14、2026-04 或 2026-Q2`);
  }
  if (parts.cadence !== plan.cadence)
    throw new AppError("VALIDATION", `该计划按 ${plan.cadence} 跟进，期间 ${truncateForEcho(period, 40)} 不匹配`);
  const leaves = await ownerLeaves(db.prisma, planId);
  const inForce = await figuresInForce(db.prisma, { planId, metric: plan.metric, period });
  const owners = new Map<string, OwnerProgress>();
  for (const l of leaves) {
    const o = owners.get(l.userId) ?? blank(l.userId, l.name, inForce.get(l.userId));
    o.target += leafPeriodTarget(l, plan.fiscalYear, period, calendar);
    owners.set(l.userId, o);
  }
  const rows = [...owners.values()].map((o) => ({
    ...o,
    attainment: attainment(o.actual, o.target),
  }));
  rows.sort((a, b) => a.userId.localeCompare(b.userId));
  const reported = rows.filter((r) => r.reported).length;
  return { planId, period, metric: plan.metric, owners: rows, reported, total: rows.length };
}

function blank(userId: string, name: string, e: FigureInForce | undefined): OwnerProgress {
  return {
    userId,
    name,
    target: 0n,
    actual: e?.amount ?? null,
    attainment: null,
    reported: e !== undefined,
    source: e?.source ?? null,
    newCustomers: e?.newCustomers ?? null,
  };
}
