import type { Database } from "../../src/db/database.ts";

/** The row count of every table of the service (migrations' own table aside): equal counts = nothing added or removed. */
export async function tableCounts(db: Database): Promise<Record<string, number>> {
  const tables = (await db.sql.query(
    `SELECT table_name AS name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_%'
     ORDER BY table_name`,
  )) as { name: string }[];
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = (await db.sql.query(`SELECT count(*)::int AS n FROM "${name}"`)) as { n: number }[];
    counts[name] = row?.n ?? 0;
  }
  return counts;
}
