import type { Database, SqlRunner, Tx } from "../../db/database.ts";
import { parsePeriodKey } from "../../domain/period-key.ts";
import { cadenceWithExample } from "../../domain/period-words.ts";
import type { Metric, Plan } from "../../generated/prisma/client.ts";
import { AppError, type InputProblem, validationError } from "../../lib/errors.ts";
import { truncateForEcho } from "../../lib/text-rule.ts";
import { type EvaluatedPlanPeriod, storeProgressEntry } from "./progress-queries.ts";

/** One figure for one person, period and plan, as any channel gives it. */
export interface ProgressFigure {
  planId: string;
  userId: string;
  period: string;
  amount: bigint;
  /** Default: the plan's metric. */
  metric?: Metric | undefined;
  newCustomers?: number | undefined;
  note?: string | undefined;
  /** What the figure is (the API may say); chat and card reports are always SELF_REPORT. */
  kind?: "IMPORT" | "SELF_REPORT" | undefined;
}

/**
 * Where a report comes from: the 1:1 chat, a prompt card, or the API (CRM/ERP). Chat and card report one figure
 * and their refusals are one message for the person; the API reports many and gets every problem by index.
 */
export type ReportSource = "chat" | "card" | "api";

/**
 * Stores reported figures, all-or-nothing, whichever channel they come from (one validation path): every
 * figure must name a published plan, a period of that plan's cadence and fiscal year, a person who owns one of
 * its targets, and the plan's metric (or new customers); otherwise nothing is written — the API gets every
 * problem listed by index (VALIDATION with details), chat and card the first as the reply. A figure equal to
 * the latest of the same person, period, metric and kind is skipped (insertProgressEntry): a retried import or
 * a repeated message stores nothing. Chat and card checks of their own (an open period, a plausible figure)
 * come before; this is what every stored figure satisfies.
 *
 * A figure for a period already evaluated is stored all the same (history) but does not rewrite the
 * evaluation: `evaluated` lists those plan-periods with when they were evaluated, for the reply to say so.
 *
 * `owned`: plans the caller read in this transaction, each published and holding a target of `userId`
 * (`reportablePlans`, the chat report's first read) — not read again for that person's figures.
 */
export async function reportProgress(
  on: Database | Tx,
  a: {
    figures: ProgressFigure[];
    source: ReportSource;
    origin: string;
    owned?: { userId: string; plans: CheckedPlan[] };
    /** The transaction's raw runner (Database.transaction), for the insert a chat report makes. */
    sql?: SqlRunner;
    /** One figure: whether this outbox key was sent (Outbound.wasSent), asked with its insert (`sent`). */
    askSent?: string;
  },
): Promise<{ created: number; unchanged: number; evaluated: EvaluatedPlanPeriod[]; sent?: boolean }> {
  const tx: Tx = "prisma" in on ? on.prisma : on;
  const { plans, owns } = a.owned ? ownedBy(a.owned, a.figures) : await readPlansAndOwners(tx, a.figures);
  const problems = a.figures.flatMap((e, i) =>
    figureProblems(e, plans.get(e.planId), owns).map((p) => ({
      row: i + 1,
      field: `entries.${i}.${p.field}`,
      message: p.message,
    })),
  );
  if (problems.length > 0) throw refusal(a.source, problems);
  const rows = a.figures.map((e) => ({
    ...e,
    metric: e.metric ?? plans.get(e.planId)!.metric,
    source: a.source === "api" ? (e.kind ?? "IMPORT") : ("SELF_REPORT" as const),
    origin: a.origin,
  }));
  const shards = rows.length > 1 ? await lockPeopleInOrder(tx, rows) : new Map<string, number>();
  const shardOf = (userId: string) => shards.get(userId) ?? 0;
  let created = 0;
  const evaluated = new Map<string, EvaluatedPlanPeriod>();
  // By plan, metric, period and the person's shard of the period total (a stable sort: one person's figures for
  // one period keep their order, the latest last): the trigger runs at commit in this order, so the period
  // totals' shard rows it moves are locked in one order by every writer.
  const ordered = rows
    .map((row, i) => ({ row, i }))
    .sort(
      (x, y) =>
        cmp(x.row.planId, y.row.planId) ||
        cmp(x.row.metric, y.row.metric) ||
        cmp(x.row.period, y.row.period) ||
        shardOf(x.row.userId) - shardOf(y.row.userId) ||
        x.i - y.i,
    );
  let sent: boolean | undefined;
  for (const { row } of ordered) {
    const ask = a.askSent !== undefined && ordered.length === 1 ? { askSent: a.askSent } : {};
    const stored = await storeProgressEntry(a.sql ?? tx, row, ask);
    sent = stored.sent;
    if (stored.inserted) created++;
    const { planId, period } = row;
    if (stored.evaluatedAt) evaluated.set(`${planId} ${period}`, { planId, period, evaluatedAt: stored.evaluatedAt });
  }
  return {
    created,
    unchanged: a.figures.length - created,
    evaluated: [...evaluated.values()].sort((x, y) => cmp(x.planId, y.planId) || cmp(x.period, y.period)),
    ...(sent === undefined ? {} : { sent }),
  };
}

/** What validating a figure needs of its plan. */
export type CheckedPlan = Pick<Plan, "id" | "name" | "fiscalYear" | "metric" | "cadence" | "status">;

/** The figures' plans, and which of their people own a target in which plan (`${planId} ${userId}`). */
async function readPlansAndOwners(tx: Tx, figures: ProgressFigure[]) {
  const planIds = [...new Set(figures.map((e) => e.planId))];
  const plans = new Map<string, CheckedPlan>(
    (await tx.plan.findMany({ where: { id: { in: planIds } } })).map((p) => [p.id, p]),
  );
  // Only the people in the figures: a small import need not read every owner of a plan of hundreds.
  const owners = await tx.$queryRawUnsafe<{ plan_id: string; user_id: string }[]>(
    `SELECT DISTINCT plan_id, owner_user_id AS user_id FROM target
      WHERE plan_id = ANY($1::text[]) AND owner_user_id = ANY($2::text[]) AND state <> 'ARCHIVED'`,
    planIds,
    [...new Set(figures.map((e) => e.userId))],
  );
  return { plans, owns: new Set(owners.map((o) => `${o.plan_id} ${o.user_id}`)) };
}

/** The same from plans the caller read with the person's ownership checked (`owned` above). */
function ownedBy(owned: { userId: string; plans: CheckedPlan[] }, figures: ProgressFigure[]) {
  const plans = new Map(owned.plans.map((p) => [p.id, p]));
  const theirs = figures.filter((e) => plans.has(e.planId) && e.userId === owned.userId);
  return { plans, owns: new Set(theirs.map((e) => `${e.planId} ${e.userId}`)) };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Several figures in one transaction (an import): every person's kept-figures row (progress_series_person, which
 * the progress_entry trigger locks per figure) is created and locked first, in one sorted order, before any
 * period total is touched. A chat report locks its one person, then its one period total; an import that held a
 * period total while waiting for a person a chat report holds would deadlock with it, and two imports locking
 * people in different orders would too. Migration 20261208010000_digest_kept has the trigger. Returns each
 * person's shard of the period totals (migration 20261211020000_period_total_shards), by user id, for the
 * insertion order above.
 */
async function lockPeopleInOrder(
  tx: Tx,
  rows: { planId: string; metric: string; userId: string; period: string }[],
): Promise<Map<string, number>> {
  const [plans, metrics, users, periods] = [
    rows.map((r) => r.planId),
    rows.map((r) => r.metric),
    rows.map((r) => r.userId),
    rows.map((r) => r.period),
  ];
  const wanted = `SELECT DISTINCT p AS plan_id, m::"Metric" AS metric, "progress_series_of"(k) AS series, u AS user_id
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS w(p, m, u, k)
                   WHERE "progress_series_of"(k) IS NOT NULL`;
  await tx.$executeRawUnsafe(
    `INSERT INTO progress_series_person (plan_id, metric, series, user_id, amounts, ytd)
     SELECT plan_id, metric, series, user_id, array_fill(NULL::BIGINT, ARRAY[53]), array_fill(0::NUMERIC, ARRAY[53])
       FROM (${wanted}) w ORDER BY plan_id, metric, series, user_id
     ON CONFLICT DO NOTHING`,
    plans,
    metrics,
    users,
    periods,
  );
  const locked = await tx.$queryRawUnsafe<{ user_id: string; shard: number }[]>(
    `SELECT s.user_id, progress_total_shard(s.user_id) AS shard FROM progress_series_person s
      WHERE (s.plan_id, s.metric, s.series, s.user_id) IN (SELECT plan_id, metric, series, user_id FROM (${wanted}) w)
      ORDER BY s.plan_id, s.metric, s.series, s.user_id FOR UPDATE`,
    plans,
    metrics,
    users,
    periods,
  );
  return new Map(locked.map((r) => [r.user_id, Number(r.shard)]));
}

/** What is wrong with one figure, by field (empty when nothing is). */
function figureProblems(e: ProgressFigure, plan: CheckedPlan | undefined, owns: Set<string>) {
  const problems: { field: string; message: string }[] = [];
  const at = (field: string, message: string) => problems.push({ field, message });
  if (!plan) {
    at("planId", `计划 ${e.planId} 不存在`);
    return problems;
  }
  if (plan.status !== "PUBLISHED") at("planId", `计划“${plan.name}”尚未发布（${plan.status}），不能填报进度`);
  if (!owns.has(`${e.planId} ${e.userId}`)) at("userId", `${e.userId} 在计划“${plan.name}”中没有目标`);
  try {
    const p = parsePeriodKey(e.period);
    if (p.cadence !== plan.cadence) {
      at("period", `期间应为 ${plan.fiscalYear} 年的${cadenceWithExample(plan.cadence)}，收到 ${e.period}`);
    } else if (p.year !== plan.fiscalYear) {
      at("period", `${e.period} 不在计划“${plan.name}”的 ${plan.fiscalYear} 年度内`);
    }
  } catch {
    at("period", `期间“${truncateForEcho(e.period, 40)}”无效，应如 2026-W14、2026-04 或 2026-Q2`);
  }
  if (e.metric && e.metric !== plan.metric && e.metric !== "NEW_CUSTOMERS") {
    at("metric", `计划“${plan.name}”考核的是 ${plan.metric}，不能填报 ${e.metric}`);
  }
  return problems;
}

/** The API lists every problem; a person in chat or on a card reads the first, and that nothing was stored. */
function refusal(source: ReportSource, problems: InputProblem[]): AppError {
  if (source === "api") return validationError(`进度数据有 ${problems.length} 处错误，未写入任何数据`, problems);
  return new AppError("VALIDATION", `${problems[0]!.message}，未记录。`);
}
