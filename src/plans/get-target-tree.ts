import type { Database } from "../db/database.ts";
import { planNotFound } from "./plan-errors.ts";
import { confirmationOf, type TargetConfirmation, targetAnswers } from "./target-confirmations.ts";

export interface TargetNode {
  id: string;
  parentId: string | null;
  dimension: string | null;
  key: string;
  label: string;
  depth: number;
  owner: { userId: string; name: string; active: boolean } | null;
  coOwners: { userId: string; name: string; active: boolean }[];
  amount: bigint;
  locked: boolean;
  /** The parent's 待分配: what approved changes gave back (or may still take). Nobody's target, never confirmed. */
  reserve: boolean;
  version: number;
  state: string;
  split: { dimension: string; method: string } | null;
  /** 12 monthly amounts for a phased leaf; null for parents and unphased leaves. */
  months: bigint[] | null;
  /** Where the owner stands on the current version of a leaf (only leaves get target cards); null for parents. */
  confirmation: TargetConfirmation | null;
  children: TargetNode[];
}

/** The plan and its whole target tree (archived targets left out), with owners, versions and months. */
export async function getTargetTree(db: Database, planId: string) {
  const plan = await db.prisma.plan.findUnique({ where: { id: planId } });
  if (!plan) throw planNotFound(planId);
  const [targets, months, answers] = await Promise.all([
    db.prisma.target.findMany({
      where: { planId, state: { not: "ARCHIVED" } },
      include: { owner: true, coOwners: { include: { staff: true } } },
      orderBy: [{ depth: "asc" }, { key: "asc" }],
    }),
    db.sql.query<{ target_id: string; amounts: string[] }>(
      `SELECT m.target_id, m.amounts::text[] AS amounts
         FROM target_month_amounts m JOIN target t ON t.id = m.target_id WHERE t.plan_id = $1`,
      [planId],
    ),
    targetAnswers(db, planId),
  ]);
  const monthsOf = new Map(months.map((m) => [m.target_id, m.amounts.map((a) => BigInt(a))]));
  const nodes = new Map<string, TargetNode>();
  let root: TargetNode | undefined;
  for (const t of targets) {
    const node: TargetNode = {
      id: t.id,
      parentId: t.parentId,
      dimension: t.dimension,
      key: t.key,
      label: t.label,
      depth: t.depth,
      owner: t.owner ? { userId: t.owner.userId, name: t.owner.name, active: t.owner.active } : null,
      coOwners: t.coOwners.map((c) => ({ userId: c.userId, name: c.staff.name, active: c.staff.active })),
      amount: t.amount,
      locked: t.locked,
      reserve: t.reserve,
      version: t.version,
      state: t.state,
      split: t.splitDimension && t.splitMethod ? { dimension: t.splitDimension, method: t.splitMethod } : null,
      months: monthsOf.get(t.id) ?? null,
      confirmation: null,
      children: [],
    };
    nodes.set(t.id, node);
    if (t.parentId === null) root = node;
    else nodes.get(t.parentId)?.children.push(node);
  }
  for (const t of targets) {
    const node = nodes.get(t.id)!;
    if (node.children.length === 0 && !node.reserve) node.confirmation = confirmationOf(t, answers);
  }
  return { plan: { ...plan, rootTargetId: root?.id ?? null }, root: root ?? null };
}
