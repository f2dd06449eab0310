import type { TTargetCardInput } from "../../../cards/target.ts";
import type { Database, Tx } from "../../db/database.ts";
import { AppError } from "../../lib/errors.ts";
import { weeklyActivity } from "../../plans/plan-funnel.ts";

/**
 * What a leaf target's card shows, read from the database: the plan, the owner and co-owners, the amount and
 * its 12 months, the weekly activity the plan's funnel settings imply (if it has any), and its share of the region it belongs to ("华东 3,600万 中的 420万" — the region is what a
 * rep recognises; the immediate parent is often a segment such as 大客户). Falls back to the immediate
 * parent when the tree has no region level.
 */
export async function targetCardInput(on: Database | Tx, targetId: string): Promise<TTargetCardInput> {
  // Inside a handler's transaction the read must use that transaction: PGlite has one connection.
  const db: Tx = "prisma" in on ? on.prisma : on;
  const t = await db.target.findUnique({
    where: { id: targetId },
    include: {
      plan: true,
      owner: true,
      coOwners: { include: { staff: true }, orderBy: { userId: "asc" } },
    },
  });
  if (!t) throw new AppError("NOT_FOUND", `目标 ${targetId} 不存在`);
  if (!t.owner) throw new AppError("CONFLICT", `目标“${t.label}”没有负责人，不能发送目标卡片`);
  const months = (await db.targetMonth.findMany({ where: { targetId }, orderBy: { month: "asc" } })).map(
    (m) => m.amount,
  );
  if (months.length !== 12) throw new AppError("CONFLICT", `目标“${t.label}”尚未分解到月，不能发送目标卡片`);
  const [previous] = await db.targetLedger.findMany({
    where: { targetId, version: { lt: t.version }, newAmount: { not: null } },
    orderBy: { id: "desc" },
    take: 1,
  });
  const share = await shareOf(db, t.parentId);
  const funnel = weeklyActivity(t.plan.funnel, t.amount);
  return {
    planName: t.plan.name,
    metric: t.plan.metric,
    version: t.version,
    ...(previous?.newAmount != null && previous.newAmount !== t.amount ? { previousAmount: previous.newAmount } : {}),
    owner: { userId: t.owner.userId, name: t.owner.name },
    coOwners: t.coOwners.filter((c) => c.staff.active).map((c) => ({ userId: c.userId, name: c.staff.name })),
    amount: t.amount,
    months,
    ...(share ? { parent: share } : {}),
    ...(funnel ? { funnel } : {}),
  };
}

/** The nearest REGION ancestor, else the immediate parent (the root of the plan is not a useful comparison). */
async function shareOf(db: Tx, parentId: string | null): Promise<{ name: string; amount: bigint } | undefined> {
  if (!parentId) return undefined;
  const chain = await db.$queryRawUnsafe<{ label: string; amount: bigint; dimension: string | null; depth: number }[]>(
    `WITH RECURSIVE up AS (
       SELECT id, parent_id, label, amount, dimension::text AS dimension, depth FROM target WHERE id = $1
       UNION ALL
       SELECT t.id, t.parent_id, t.label, t.amount, t.dimension::text, t.depth FROM target t JOIN up ON t.id = up.parent_id
     )
     SELECT label, amount, dimension, depth FROM up ORDER BY depth DESC`,
    parentId,
  );
  const region = chain.find((c) => c.dimension === "REGION");
  const immediate = chain.at(-1);
  const pick = region ?? (immediate && immediate.depth > 0 ? immediate : undefined);
  return pick ? { name: pick.label, amount: BigInt(pick.amount) } : undefined;
}
