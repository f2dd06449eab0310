import type { Database } from "../../src/db/database.ts";

/** Every org row with every column, in a stable order: two snapshots are equal iff nothing changed. */
export async function orgSnapshot(db: Database) {
  const departments = await db.sql.query(
    "SELECT id, name, parent_id, active, created_at::text, updated_at::text FROM department ORDER BY id",
  );
  const staff = await db.sql.query(
    `SELECT user_id, name, dept_id, manager_user_id, title, role::text, active, created_at::text, updated_at::text
     FROM staff ORDER BY user_id`,
  );
  return { departments, staff };
}

/** The same without timestamps: for comparing imports made at different moments. */
export async function orgContent(db: Database) {
  const { departments, staff } = await orgSnapshot(db);
  const strip = (rows: Record<string, unknown>[]) => rows.map(({ created_at: _c, updated_at: _u, ...rest }) => rest);
  return { departments: strip(departments), staff: strip(staff) };
}
