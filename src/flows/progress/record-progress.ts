import type { Database, Tx } from "../../db/database.ts";
import { parsePeriodKey } from "../../domain/period-key.ts";
import { cadenceWithExample } from "../../domain/period-words.ts";
import { type InputProblem, validationError } from "../../lib/errors.ts";
import type { TProgressEntryInput } from "./progress-input.ts";
import { insertProgressEntry } from "./progress-queries.ts";

/**
 * Stores reported figures all-or-nothing: every entry must name a published plan, a period of that plan's
 * cadence and fiscal year, and a person who owns one of its targets; otherwise every problem is listed by
 * index and nothing is written. An entry equal to the latest of the same person, period, metric and source is
 * skipped, so a retried import changes nothing (insertProgressEntry, shared with chat and card reports).
 */
export async function recordProgress(
  db: Database | Tx,
  entries: TProgressEntryInput[],
  origin: string,
): Promise<{ created: number; unchanged: number }> {
  const tx: Tx = "prisma" in db ? db.prisma : db;
  const planIds = [...new Set(entries.map((e) => e.planId))];
  const plans = new Map((await tx.plan.findMany({ where: { id: { in: planIds } } })).map((p) => [p.id, p]));
  // Only the people in the entries: a small import need not read every owner of a plan of hundreds.
  const owners = await tx.$queryRawUnsafe<{ plan_id: string; user_id: string }[]>(
    `SELECT DISTINCT plan_id, owner_user_id AS user_id FROM target
      WHERE plan_id = ANY($1::text[]) AND owner_user_id = ANY($2::text[]) AND state <> 'ARCHIVED'`,
    planIds,
    [...new Set(entries.map((e) => e.userId))],
  );
  const owns = new Set(owners.map((o) => `${o.plan_id} ${o.user_id}`));
  const problems: InputProblem[] = [];
  entries.forEach((e, i) => {
    const at = (field: string, message: string) =>
      problems.push({ row: i + 1, field: `entries.${i}.${field}`, message });
    const plan = plans.get(e.planId);
    if (!plan) {
      at("planId", `计划 ${e.planId} 不存在`);
      return;
    }
    if (plan.status !== "PUBLISHED") at("planId", `计划“${plan.name}”尚未发布（${plan.status}），不能填报进度`);
    if (!owns.has(`${e.planId} ${e.userId}`)) at("userId", `${e.userId} 在计划“${plan.name}”中没有目标`);
    try {
      const p = parsePeriodKey(e.period);
      if (p.cadence !== plan.cadence || p.year !== plan.fiscalYear) {
        at("period", `期间应为 ${plan.fiscalYear} 年的${cadenceWithExample(plan.cadence)}，收到 ${e.period}`);
      }
    } catch {
      at("period", `期间“${e.period}”无效，应如 2026-W14、2026-04 或 2026-Q2`);
    }
    if (e.metric && e.metric !== plan.metric && e.metric !== "NEW_CUSTOMERS") {
      at("metric", `计划“${plan.name}”考核的是 ${plan.metric}，不能填报 ${e.metric}`);
    }
  });
  if (problems.length > 0) throw validationError(`进度数据有 ${problems.length} 处错误，未写入任何数据`, problems);
  let created = 0;
  for (const e of entries) {
    const metric = e.metric ?? plans.get(e.planId)!.metric;
    if (await insertProgressEntry(tx, { ...e, metric, origin })) created++;
  }
  return { created, unchanged: entries.length - created };
}
