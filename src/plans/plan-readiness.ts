import type { Database } from "../db/database.ts";
import { findConservationViolations } from "./check-plan-conservation.ts";
import { liveLeafSql } from "./leaf-targets.ts";
import { planNotFound } from "./plan-errors.ts";

export interface ResponsibilityProblem {
  targetId: string;
  label: string;
  problem: "NO_OWNER" | "INACTIVE_OWNER" | "TOO_FEW_PEOPLE" | "INACTIVE_CO_OWNER" | "NOT_PHASED";
  message: string;
}

/**
 * What stands between a plan and publishing: conservation violations, and leaf targets without an active
 * owner, with fewer responsible people than the plan's minimum, with people who have left, or without months.
 */
export async function planReadiness(db: Database, planId: string) {
  const plan = await db.prisma.plan.findUnique({ where: { id: planId } });
  if (!plan) throw planNotFound(planId);
  const conservation = await db.prisma.$transaction((tx) => findConservationViolations(tx, planId));
  const leaves = await db.sql.query<{
    id: string;
    label: string;
    owner: string | null;
    owner_name: string | null;
    owner_active: boolean | null;
    active_co: string;
    inactive_co: string[] | null;
    phased: boolean;
  }>(
    `SELECT t.id, t.label, t.owner_user_id AS owner, o.name AS owner_name, o.active AS owner_active,
            (SELECT count(*) FROM target_co_owner c JOIN staff s ON s.user_id = c.user_id WHERE c.target_id = t.id AND s.active)::text AS active_co,
            (SELECT array_agg(s.name) FROM target_co_owner c JOIN staff s ON s.user_id = c.user_id WHERE c.target_id = t.id AND NOT s.active) AS inactive_co,
            EXISTS (SELECT 1 FROM target_month_amounts m WHERE m.target_id = t.id) AS phased
       FROM target t LEFT JOIN staff o ON o.user_id = t.owner_user_id
      WHERE t.plan_id = $1 AND ${liveLeafSql("t")}
      ORDER BY t.depth, t.label`,
    [planId],
  );
  const problems: ResponsibilityProblem[] = [];
  for (const l of leaves) {
    const add = (problem: ResponsibilityProblem["problem"], message: string) =>
      problems.push({ targetId: l.id, label: l.label, problem, message });
    if (!l.owner) add("NO_OWNER", `“${l.label}”没有负责人`);
    else if (!l.owner_active) add("INACTIVE_OWNER", `“${l.label}”的负责人${l.owner_name}已离职，需要重新分配`);
    for (const name of l.inactive_co ?? []) add("INACTIVE_CO_OWNER", `“${l.label}”的协作人${name}已离职`);
    const people = (l.owner && l.owner_active ? 1 : 0) + Number(l.active_co);
    if (people < plan.minOwners) {
      add("TOO_FEW_PEOPLE", `“${l.label}”只有 ${people} 名责任人，至少需要 ${plan.minOwners} 名（负责人 + 协作人）`);
    }
    if (!l.phased) add("NOT_PHASED", `“${l.label}”尚未分解到月`);
  }
  return {
    ready: conservation.length === 0 && problems.length === 0,
    conserved: conservation.length === 0,
    conservation,
    leaves: leaves.length,
    problems,
  };
}
