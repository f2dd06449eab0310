import type { Database } from "../../src/db/database.ts";

/** Every plan-related row, in a stable order: equal snapshots mean nothing was written. */
export async function planSnapshot(db: Database) {
  const q = (sql: string) => db.sql.query(sql);
  return {
    plans: await q("SELECT id, name, total::text, status::text, phasing::text, updated_at::text FROM plan ORDER BY id"),
    targets: await q(
      "SELECT id, parent_id, key, amount::text, version, state::text, owner_user_id, split_dimension::text, updated_at::text FROM target ORDER BY id",
    ),
    coOwners: await q("SELECT target_id, user_id FROM target_co_owner ORDER BY 1, 2"),
    months: await q("SELECT target_id, month, amount::text FROM target_month ORDER BY 1, 2"),
    ledger: await q("SELECT count(*)::int AS n, coalesce(max(id), 0)::text AS last FROM target_ledger"),
  };
}
