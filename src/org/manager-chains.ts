import type { Tx } from "../db/database.ts";
import type { ManagerLink } from "../domain/next-escalation-addressee.ts";

/**
 * Each owner's manager chain, direct manager first, in one recursive query for all of them. A manager id that
 * points at nobody is a null link; a chain that loops back stops at the first repeat (the ladder rule ends
 * it anyway).
 */
export async function managerChains(tx: Tx, ownerIds: readonly string[]): Promise<Map<string, ManagerLink[]>> {
  const chains = new Map<string, ManagerLink[]>(ownerIds.map((id) => [id, []]));
  if (ownerIds.length === 0) return chains;
  const rows = await tx.$queryRawUnsafe<{ owner_id: string; user_id: string; active: boolean | null }[]>(
    `WITH RECURSIVE chain AS (
       SELECT s.user_id AS owner_id, 0 AS depth, s.manager_user_id AS next_id, NULL::text AS user_id,
              NULL::boolean AS active, ARRAY[s.user_id] AS seen
         FROM staff s WHERE s.user_id = ANY($1::text[])
       UNION ALL
       SELECT c.owner_id, c.depth + 1, m.manager_user_id, c.next_id, m.active, c.seen || c.next_id
         FROM chain c LEFT JOIN staff m ON m.user_id = c.next_id
        WHERE c.next_id IS NOT NULL AND NOT (c.next_id = ANY(c.seen)) AND c.depth < 64
     )
     SELECT owner_id, user_id, active FROM chain WHERE depth > 0 ORDER BY owner_id, depth`,
    [...ownerIds],
  );
  for (const r of rows)
    chains.get(r.owner_id)?.push(r.active === null ? null : { userId: r.user_id, active: r.active });
  return chains;
}
