import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import type { Database } from "../../src/db/database.ts";
import { applyMigrations, MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import { createTestDatabase, silentLog } from "../helpers/test-db.ts";

const MONTHS_AS_ARRAYS = "20261211010000_months_as_arrays";

/** A database as it stood before the migration, with a plan of two targets (t1, t2) and `rows` month rows. */
async function before(rows: string): Promise<{ db: Database; done: () => Promise<void> }> {
  const db = await createTestDatabase({ migrate: false });
  const dir = await mkdtemp(path.join(tmpdir(), "migrations-"));
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (name < MONTHS_AS_ARRAYS) await cp(path.join(MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
  }
  await applyMigrations(db.sql, silentLog, dir);
  await db.sql.exec(`
    INSERT INTO department (id, name) VALUES ('1', '公司');
    INSERT INTO staff (user_id, name, dept_id, role) VALUES ('u1', '甲', '1', 'REP');
    INSERT INTO plan (id, name, fiscal_year, total, owner_user_id, updated_at) VALUES ('p', '计划', 2026, 1300, 'u1', now());
    INSERT INTO target (id, plan_id, key, label, depth, amount, updated_at) VALUES
      ('t1', 'p', 'a', '甲', 0, 78, now()), ('t2', 'p', 'b', '乙', 0, 1200, now());
    ${rows}`);
  return { db, done: () => rm(dir, { recursive: true, force: true }).then(() => db.close()) };
}

it("migration months_as_arrays turns each target's 12 month rows into one array in month order, read back through the view", async () => {
  // Inserted out of month order, to show the array follows the month, not the insert.
  const { db, done } = await before(`
    INSERT INTO target_month (target_id, month, amount) SELECT 't1', m, m FROM generate_series(12, 1, -1) AS m;
    INSERT INTO target_month (target_id, month, amount) SELECT 't2', m, 100 FROM generate_series(1, 12) AS m;`);
  try {
    expect(await applyMigrations(db.sql, silentLog)).toContain(MONTHS_AS_ARRAYS);
    expect(await db.sql.query("SELECT target_id, amounts::text FROM target_month_amounts ORDER BY target_id")).toEqual([
      { target_id: "t1", amounts: "{1,2,3,4,5,6,7,8,9,10,11,12}" },
      { target_id: "t2", amounts: "{100,100,100,100,100,100,100,100,100,100,100,100}" },
    ]);
    const view = await db.sql.query<{ month: number; amount: string }>(
      "SELECT month, amount::text FROM target_month WHERE target_id = 't1' ORDER BY month",
    );
    expect(view).toEqual(Array.from({ length: 12 }, (_, i) => ({ month: i + 1, amount: String(i + 1) })));
    // The view is for reading: months are written as arrays.
    await expect(
      db.sql.query("INSERT INTO target_month (target_id, month, amount) VALUES ('t1', 1, 1)"),
    ).rejects.toThrow(/target_month/);
  } finally {
    await done();
  }
});

it("migration months_as_arrays stops, naming the target, when a target's month rows are not months 1-12, and changes nothing", async () => {
  // t2 lost its March row (a hand-made repair gone wrong): shifted into an array, April would become March.
  const { db, done } = await before(`
    INSERT INTO target_month (target_id, month, amount) SELECT 't1', m, m FROM generate_series(1, 12) AS m;
    INSERT INTO target_month (target_id, month, amount) SELECT 't2', m, 100 FROM generate_series(1, 12) AS m WHERE m <> 3;`);
  try {
    await expect(applyMigrations(db.sql, silentLog)).rejects.toThrow(/target\(s\) t2:/);
    expect(await db.sql.query("SELECT count(*)::int AS n FROM target_month")).toEqual([{ n: 23 }]);
    expect(
      await db.sql.query("SELECT 1 FROM _prisma_migrations WHERE migration_name = $1", [MONTHS_AS_ARRAYS]),
    ).toEqual([]);
  } finally {
    await done();
  }
});
