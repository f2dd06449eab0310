import type { Tx } from "../../db/database.ts";

/**
 * Everyone under `managerId` by the manager chain (docs/domain.md "Org"), at any depth, active or not, the manager
 * left out; a chain that loops back stops at the first repeat. The digest chat answers read a team from here, so
 * 「团队进度」 and the manager's digest mean the same people.
 */
export const SUBTREE_SQL = `WITH RECURSIVE down AS (
       SELECT s.user_id, ARRAY[$1::text, s.user_id] AS seen FROM staff s WHERE s.manager_user_id = $1
       UNION ALL
       SELECT s.user_id, d.seen || s.user_id
         FROM down d JOIN staff s ON s.manager_user_id = d.user_id
        WHERE NOT (s.user_id = ANY(d.seen)) AND cardinality(d.seen) < 64
     )`;

/** The active people under `managerId` (direct and indirect reports). */
export async function teamMembers(tx: Tx, managerId: string): Promise<Set<string>> {
  const rows = await tx.$queryRawUnsafe<{ user_id: string }[]>(
    `${SUBTREE_SQL}
     SELECT DISTINCT d.user_id FROM down d JOIN staff s ON s.user_id = d.user_id WHERE s.active`,
    managerId,
  );
  return new Set(rows.map((r) => r.user_id));
}

/**
 * Whether someone leads people in the bot's sense: a director, anyone with an active report, or the owner of a
 * published plan. They may ask for 「团队进度」 and 「看板」.
 */
export async function leadsPeople(tx: Tx, staff: { userId: string; role: string }): Promise<boolean> {
  if (staff.role === "DIRECTOR") return true;
  const [row] = await tx.$queryRawUnsafe<{ leads: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM staff WHERE manager_user_id = $1 AND active AND user_id <> $1)
         OR EXISTS (SELECT 1 FROM plan WHERE owner_user_id = $1 AND status = 'PUBLISHED') AS leads`,
    staff.userId,
  );
  return row?.leads === true;
}
