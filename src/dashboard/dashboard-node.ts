import type { Database } from "../db/database.ts";
import { attainment } from "../domain/attainment.ts";
import { targetPathSql } from "../flows/confirm/index.ts";
import { AppError } from "../lib/errors.ts";
import { liveLeafSql } from "../plans/leaf-targets.ts";
import { outOfScope, type Scope } from "./dashboard-access.ts";

/** One child of a drilled-into target: a region's teams, a team's people. */
export interface NodeChild {
  id: string;
  label: string;
  dimension: string | null;
  ownerUserId: string | null;
  ownerName: string | null;
  /** A leaf with an owner: the next click opens the person. */
  leaf: boolean;
  annualTarget: bigint;
  /** Owners of live leaves under it, in the viewer's scope. */
  owners: number;
  ytdActual: bigint;
  ytdTarget: bigint;
  ytdAttainment: number | null;
}

/**
 * Drill-down one level: a target (the root when `nodeId` is absent) and its children, each with the year to
 * date of the people accountable under it. The figures are the evaluations' (period_evaluation's YTD at the
 * latest evaluated period up to `period`): what the cards and escalations said, per person. A person who owns
 * leaves under two children counts in both (their YTD covers all their leaves). Children with nobody of the
 * viewer's scope under them are left out; a target with nobody of the scope under it is refused (403).
 */
export async function dashboardNode(
  db: Database,
  a: { planId: string; nodeId?: string | undefined; period: string; scope: Scope },
) {
  const prisma = db.prisma;
  const node = a.nodeId
    ? await prisma.target.findFirst({ where: { id: a.nodeId, planId: a.planId, state: { not: "ARCHIVED" } } })
    : await prisma.target.findFirst({ where: { planId: a.planId, parentId: null } });
  if (!node) throw new AppError("NOT_FOUND", "没有这个目标，可能已被调整，请刷新看板。");
  const scope = a.scope === null ? null : [...a.scope];
  const rows = await prisma.$queryRawUnsafe<
    {
      id: string;
      label: string;
      dimension: string | null;
      owner_user_id: string | null;
      owner_name: string | null;
      amount: string;
      leaf: boolean;
      owners: number;
      ytd_actual: string;
      ytd_target: string;
    }[]
  >(
    `WITH RECURSIVE sub AS (
       SELECT c.id AS child_id, c.id AS target_id FROM target c
        WHERE c.parent_id = $2 AND c.state <> 'ARCHIVED' AND NOT c.reserve
       UNION ALL
       SELECT sub.child_id, t.id FROM target t JOIN sub ON t.parent_id = sub.target_id WHERE t.state <> 'ARCHIVED'
     ), owners AS (
       SELECT DISTINCT sub.child_id, t.owner_user_id AS user_id FROM sub JOIN target t ON t.id = sub.target_id
        WHERE t.owner_user_id IS NOT NULL AND ${liveLeafSql("t")}
          AND ($4::text[] IS NULL OR t.owner_user_id = ANY($4::text[]))
     ), latest AS (
       SELECT DISTINCT ON (user_id) user_id, ytd_actual, ytd_target FROM period_evaluation
        WHERE plan_id = $1 AND period <= $3 AND user_id IN (SELECT user_id FROM owners)
        ORDER BY user_id, period DESC
     ), figures AS (
       SELECT o.child_id, count(*)::int AS owners, coalesce(sum(l.ytd_actual), 0)::text AS ytd_actual,
              coalesce(sum(l.ytd_target), 0)::text AS ytd_target
         FROM owners o LEFT JOIN latest l ON l.user_id = o.user_id GROUP BY o.child_id
     )
     SELECT n.id, n.label, n.dimension::text AS dimension, n.owner_user_id, s.name AS owner_name,
            n.amount::text AS amount, ${liveLeafSql("n")} AS leaf, f.owners, f.ytd_actual, f.ytd_target
       FROM target n JOIN figures f ON f.child_id = n.id LEFT JOIN staff s ON s.user_id = n.owner_user_id
      ORDER BY n.amount DESC, n.label`,
    a.planId,
    node.id,
    a.period,
    scope,
  );
  const [place] = await prisma.$queryRawUnsafe<{ path: string | null }[]>(
    `SELECT ${targetPathSql("t")} AS path FROM target t WHERE t.id = $1`,
    node.id,
  );
  if (scope !== null && rows.length === 0 && !(node.ownerUserId && scope.includes(node.ownerUserId))) {
    throw outOfScope();
  }
  const children: NodeChild[] = rows.map((r) => {
    const ytdActual = BigInt(r.ytd_actual);
    const ytdTarget = BigInt(r.ytd_target);
    return {
      id: r.id,
      label: r.label,
      dimension: r.dimension,
      ownerUserId: r.owner_user_id,
      ownerName: r.owner_name,
      leaf: r.leaf,
      annualTarget: BigInt(r.amount),
      owners: r.owners,
      ytdActual,
      ytdTarget,
      ytdAttainment: attainment(ytdActual, ytdTarget),
    };
  });
  return {
    node: {
      id: node.id,
      label: node.label,
      parentId: node.parentId,
      path: [place?.path, node.parentId ? node.label : null].filter(Boolean).join(" · "),
      ownerUserId: node.ownerUserId,
    },
    children,
  };
}
