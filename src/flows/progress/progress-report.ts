import { formatDateTime } from "../../../cards/format.ts";
import type { TProgressCardInput } from "../../../cards/progress.ts";
import { rawQuery, type SqlRunner, type Tx } from "../../db/database.ts";
import type { Calendar } from "../../domain/calendar.ts";
import { formatAmountShort, formatFigureEcho, groupDigits } from "../../domain/format-amount.ts";
import type { Figure } from "../../domain/parse-progress.ts";
import type { Plan, ProgressPending } from "../../generated/prisma/client.ts";
import { liveLeafSql } from "../../plans/leaf-targets.ts";
import { progressPromptInputs } from "./progress-prompt.ts";
import { leafPeriodTarget, ownerLeaves } from "./progress-queries.ts";
import { type ReportSource, reportProgress } from "./report-progress.ts";

/**
 * The parts of reporting progress that chat and the card share (one rule, one place): the owner's
 * period target, the absurd-figure check, storing a report, and holding one until it is confirmed.
 */

/** How long an absurd figure waits for its confirmation (docs/domain.md "Progress": 「确认」 within 30 minutes). */
export const PENDING_TTL_MS = 30 * 60_000;

/** What reporting needs of a plan. */
export type ReportPlan = Pick<Plan, "id" | "name" | "fiscalYear" | "metric" | "cadence" | "timezone" | "status"> & {
  /** With `withLeaves`: the twelve monthly amounts of each live leaf the person owns in the plan (ownerLeaves). */
  leafMonths?: bigint[][];
};

/**
 * The published plans in which the person owns a target, oldest first: the plans a chat report is for. One raw
 * statement, because it runs for every chat message (a Prisma relation filter costs twice as much here).
 */
export async function reportablePlans(
  on: Tx | SqlRunner,
  userId: string,
  opts: { clearHeld?: boolean; withLeaves?: boolean } = {},
): Promise<ReportPlan[]> {
  // clearHeld: the person's figures waiting for 「确认」 are deleted in the same statement (a data-modifying WITH
  // runs whether or not the query reads it) — a chat report replaces them, and this saves it a round trip.
  const clear = opts.clearHeld ? "WITH held AS (DELETE FROM progress_pending WHERE user_id = $1) " : "";
  // withLeaves: the person's leaves as ownerLeaves reads them (live leaves, owner in staff), for the period target.
  const leaves = opts.withLeaves
    ? `, ARRAY(SELECT array_to_json(array_agg(m.amount::text ORDER BY m.month))::text
                FROM target t JOIN staff s ON s.user_id = t.owner_user_id JOIN target_month m ON m.target_id = t.id
               WHERE t.plan_id = p.id AND t.owner_user_id = $1 AND ${liveLeafSql("t")}
               GROUP BY t.id) AS "leafMonths"`
    : "";
  const plans = await rawQuery<Omit<ReportPlan, "leafMonths"> & { leafMonths?: string[] }>(
    on,
    `${clear}SELECT p.id, p.name, p.fiscal_year AS "fiscalYear", p.metric::text AS metric, p.cadence::text AS cadence,
            p.timezone, p.status::text AS status${leaves}
       FROM plan p
      WHERE p.status = 'PUBLISHED'
        AND EXISTS (SELECT 1 FROM target t WHERE t.plan_id = p.id AND t.owner_user_id = $1 AND t.state <> 'ARCHIVED')
      ORDER BY p.created_at`,
    [userId],
  );
  return plans.map(({ leafMonths, ...plan }) =>
    leafMonths ? { ...plan, leafMonths: leafMonths.map((m) => (JSON.parse(m) as string[]).map(BigInt)) } : plan,
  );
}

/** One person's figure for one period of one plan. */
export interface ReportFigures {
  plan: ReportPlan;
  userId: string;
  period: string;
  /** In the plan's metric: whole yuan, or a count for NEW_CUSTOMERS. */
  amount: bigint;
  newCustomers?: number;
  note?: string;
}

/**
 * What the person's prompt card for the period shows (progress-prompt.ts): period target, year to date, run-rate.
 * Undefined when the person owns no leaf of the plan (or is inactive).
 */
export async function promptInputFor(
  tx: Tx,
  a: { planId: string; period: string; userId: string; calendar: Calendar },
): Promise<TProgressCardInput | undefined> {
  const [prompt] = await progressPromptInputs(tx, a);
  return prompt?.input;
}

/**
 * The owner's target for the period alone (what the absurd-figure check needs), as plan-progress.ts and the
 * prompt card compute it (progress-queries.ts), without the year to date.
 */
export async function periodTargetOf(
  tx: Tx,
  a: { plan: ReportPlan; userId: string; period: string; calendar: Calendar },
): Promise<bigint> {
  // Read with the plan (reportablePlans withLeaves) when the caller had it read in this transaction.
  const leaves = a.plan.leafMonths?.map((months) => ({ months })) ?? (await ownerLeaves(tx, a.plan.id, a.userId));
  return leaves.reduce((sum, l) => sum + leafPeriodTarget(l, a.plan.fiscalYear, a.period, a.calendar), 0n);
}

/**
 * How many times the period target a figure is, when that is above `multiple` (the figure needs confirming);
 * undefined when it is plausible. A zero target (an empty holiday week, an owner with nothing left) gives no
 * yardstick, so nothing is asked.
 */
export function timesTarget(amount: bigint, periodTarget: bigint, multiple: number): number | undefined {
  if (periodTarget <= 0n) return undefined;
  const thousandths = BigInt(Math.round(multiple * 1000));
  if (amount * 1000n <= periodTarget * thousandths) return undefined;
  return Number((amount * 10n) / periodTarget) / 10;
}

/** 「35亿元 是本周目标 7万元 的 50,000 倍」. */
export function timesTargetText(a: { amountText: string; refWord: string; periodTarget: bigint; times: number }) {
  // 「14.4 倍」 near the limit, 「5,000 倍」 far above it.
  const times = a.times >= 100 ? groupDigits(BigInt(Math.floor(a.times))) : String(a.times);
  return `${a.amountText} 是${a.refWord}目标 ${formatAmountShort(a.periodTarget, "CNY")} 的 ${times} 倍`;
}

/**
 * Stores a self-report from chat or a card through reportProgress, the one path every reported figure takes
 * (latest wins, history kept; an unchanged repeat stores nothing). Answers when the period was evaluated, if it
 * was (an admin may run an evaluation before the period closes): the figure is history then, not the verdict.
 * The caller drops what was waiting for confirmation: chat all of the person's held figures on any new one,
 * the card the one for its period.
 * `planOwned`: `r.plan` came from reportablePlans for `r.userId` in this transaction (published, owned), so
 * reportProgress need not read it again.
 * @throws AppError VALIDATION with the reason, e.g. a period outside the plan's fiscal year ("上周" in W01).
 */
export async function storeReport(
  tx: Tx,
  r: ReportFigures,
  a: { source: Exclude<ReportSource, "api">; origin: string; planOwned?: boolean; sql?: SqlRunner; askSent?: string },
): Promise<{ evaluatedAt: Date | null; sent?: boolean }> {
  const { plan, ...figure } = r;
  const { evaluated, sent } = await reportProgress(tx, {
    figures: [{ ...figure, planId: plan.id, metric: plan.metric }],
    source: a.source,
    origin: a.origin,
    ...(a.sql ? { sql: a.sql } : {}),
    ...(a.askSent === undefined ? {} : { askSent: a.askSent }),
    ...(a.planOwned ? { owned: { userId: r.userId, plans: [plan] } } : {}),
  });
  return { evaluatedAt: evaluated[0]?.evaluatedAt ?? null, ...(sent === undefined ? {} : { sent }) };
}

/** Holds a figure until it is confirmed; a newer figure for the same person, plan and period replaces it. */
export async function holdReport(
  tx: Tx,
  r: ReportFigures & { channel: "CHAT" | "CARD"; origin: string; at: Date },
): Promise<void> {
  const data = {
    channel: r.channel,
    amount: r.amount,
    newCustomers: r.newCustomers ?? null,
    note: r.note?.slice(0, 500) ?? null,
    origin: r.origin,
    expiresAt: new Date(r.at.getTime() + PENDING_TTL_MS),
    createdAt: r.at,
  };
  await tx.progressPending.upsert({
    where: { userId_planId_period: { userId: r.userId, planId: r.plan.id, period: r.period } },
    create: { userId: r.userId, planId: r.plan.id, period: r.period, ...data },
    update: data,
  });
}

/** True when a held figure is exactly what was submitted again. */
export function sameFigures(p: ProgressPending, r: Pick<ReportFigures, "amount" | "newCustomers" | "note">): boolean {
  return p.amount === r.amount && p.newCustomers === (r.newCustomers ?? null) && (p.note ?? "") === (r.note ?? "");
}

/** 「2026-W47（上周）已于 11月23日 12:00 评估，不再接受填报，本条未记录。」; `refWord` "" names no 上周. */
export function closedText(period: string, refWord: string, closedAt: Date, timezone: string): string {
  return `${period}${refWord ? `（${refWord}）` : ""}已于 ${formatDateTime(closedAt, timezone)} 评估，不再接受填报，本条未记录。如有疑问请联系你的经理。`;
}

/**
 * 「2026-W49（上周）已于 12月7日 12:00 评估，本次数字已记录，但不改变评估结果。」: said with every figure stored for a
 * period already evaluated (docs/domain.md "Progress"), so nobody thinks a late correction changed their verdict.
 */
export function evaluatedText(period: string, refWord: string, evaluatedAt: Date, timezone: string): string {
  return `${period}${refWord ? `（${refWord}）` : ""}已于 ${formatDateTime(evaluatedAt, timezone)} 评估，本次数字已记录，但不改变评估结果。`;
}

/** 「2026-W47（上周） 2万元，新客户 1家」: a stored figure as the chat echoes it; the word names only a previous period. */
export function reportedLine(period: string, previousWord: string | undefined, echo: Figure[]): string {
  return `${period}${previousWord ? `（${previousWord}）` : ""} ${formatFigureEcho(echo)}`;
}
