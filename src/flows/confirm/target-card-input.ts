import type { TTargetCardInput } from "../../../cards/target.ts";
import { type Database, rawQuery, type SqlRunner, type Tx } from "../../db/database.ts";
import type { Plan } from "../../generated/prisma/client.ts";
import { AppError } from "../../lib/errors.ts";
import { weeklyActivity } from "../../plans/plan-funnel.ts";

/**
 * What a leaf target's card shows, read from the database: the plan, the owner and co-owners, the amount and
 * its 12 months, the weekly activity the plan's funnel settings imply (if it has any), and its share of the region it belongs to ("华东 3,600万 中的 420万" — the region is what a
 * rep recognises; the immediate parent is often a segment such as 大客户). Falls back to the immediate
 * parent when the tree has no region level.
 */
export async function targetCardInput(on: Database | Tx | SqlRunner, targetId: string): Promise<TTargetCardInput> {
  // Inside a handler's transaction the read must use that transaction: PGlite has one connection.
  const db: Tx | SqlRunner = "prisma" in on ? on.prisma : on;
  // One statement (a 确认 answers the card with it, on the path of every click): the target with its plan, owner,
  // active co-owners, months, the amount of the version before and the region's (or parent's) share.
  const [t] = await rawQuery<CardRow>(
    db,
    `WITH RECURSIVE up AS (
       SELECT a.id, a.parent_id, a.label, a.amount, a.dimension::text AS dimension, a.depth
         FROM target a WHERE a.id = (SELECT parent_id FROM target WHERE id = $1)
       UNION ALL
       SELECT a.id, a.parent_id, a.label, a.amount, a.dimension::text, a.depth FROM target a JOIN up ON a.id = up.parent_id
     ), share AS (
       -- the nearest REGION ancestor, else the immediate parent unless it is the plan's root
       SELECT label, amount FROM up
        WHERE dimension = 'REGION' OR (id = (SELECT parent_id FROM target WHERE id = $1) AND depth > 0)
        ORDER BY COALESCE(dimension = 'REGION', false) DESC, depth DESC LIMIT 1
     )
     SELECT t.label, t.version, t.amount::text AS amount, p.name AS "planName", p.metric::text AS metric, p.funnel,
            o.user_id AS "ownerUserId", o.name AS "ownerName",
            (SELECT COALESCE(json_agg(json_build_object('userId', c.user_id, 'name', s.name) ORDER BY c.user_id), '[]')
               FROM target_co_owner c JOIN staff s ON s.user_id = c.user_id
              WHERE c.target_id = t.id AND s.active) AS "coOwners",
            ARRAY(SELECT m.amount::text FROM target_month m WHERE m.target_id = t.id ORDER BY m.month) AS months,
            (SELECT l.new_amount::text FROM target_ledger l
              WHERE l.target_id = t.id AND l.version < t.version AND l.new_amount IS NOT NULL
              ORDER BY l.id DESC LIMIT 1) AS "previousAmount",
            (SELECT label FROM share) AS "shareName", (SELECT amount::text FROM share) AS "shareAmount"
       FROM target t JOIN plan p ON p.id = t.plan_id LEFT JOIN staff o ON o.user_id = t.owner_user_id
      WHERE t.id = $1`,
    [targetId],
  );
  if (!t) throw new AppError("NOT_FOUND", `目标 ${targetId} 不存在`);
  if (!t.ownerUserId || t.ownerName === null)
    throw new AppError("CONFLICT", `目标“${t.label}”没有负责人，不能发送目标卡片`);
  if (t.months.length !== 12) throw new AppError("CONFLICT", `目标“${t.label}”尚未分解到月，不能发送目标卡片`);
  const amount = BigInt(t.amount);
  const previous = t.previousAmount === null ? null : BigInt(t.previousAmount);
  const funnel = weeklyActivity(t.funnel, amount);
  return {
    planName: t.planName,
    metric: t.metric,
    version: t.version,
    ...(previous !== null && previous !== amount ? { previousAmount: previous } : {}),
    owner: { userId: t.ownerUserId, name: t.ownerName },
    coOwners: t.coOwners,
    amount,
    months: t.months.map(BigInt),
    ...(t.shareName !== null && t.shareAmount !== null
      ? { parent: { name: t.shareName, amount: BigInt(t.shareAmount) } }
      : {}),
    ...(funnel ? { funnel } : {}),
  };
}

interface CardRow {
  label: string;
  version: number;
  amount: string;
  planName: string;
  metric: Plan["metric"];
  funnel: Plan["funnel"];
  ownerUserId: string | null;
  ownerName: string | null;
  coOwners: { userId: string; name: string }[];
  months: string[];
  previousAmount: string | null;
  shareName: string | null;
  shareAmount: string | null;
}
