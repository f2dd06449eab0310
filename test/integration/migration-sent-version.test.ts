import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { applyMigrations, MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import { targetCardId } from "../../src/flows/confirm/target-card-id.ts";
import { createTestDatabase, silentLog } from "../helpers/test-db.ts";

const SENT_VERSION = "20261204010000_target_sent_version";

it("migration target_sent_version marks as sent exactly the current versions whose owner card is in the outbox", async () => {
  const db = await createTestDatabase({ migrate: false });
  const before = await mkdtemp(path.join(tmpdir(), "migrations-"));
  try {
    // The database as it stood before the migration, with a published plan in it.
    for (const name of await readdir(MIGRATIONS_DIR)) {
      if (name < SENT_VERSION) await cp(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
    }
    await applyMigrations(db.sql, silentLog, before);
    await db.sql.exec(`
      INSERT INTO department (id, name) VALUES ('1', '公司');
      INSERT INTO staff (user_id, name, dept_id, role) VALUES ('u1', '甲', '1', 'REP'), ('u2', '乙', '1', 'REP');
      INSERT INTO plan (id, name, fiscal_year, total, owner_user_id, status, updated_at)
        VALUES ('p', '计划', 2026, 300, 'u1', 'PUBLISHED', now());
      INSERT INTO target (id, plan_id, key, label, depth, owner_user_id, amount, version, updated_at) VALUES
        ('00000000-0000-0000-0000-000000000001', 'p', 'a', '已发送', 0, 'u1', 100, 1, now()),
        ('00000000-0000-0000-0000-000000000002', 'p', 'b', '新版本未发送', 0, 'u2', 100, 2, now()),
        ('00000000-0000-0000-0000-000000000003', 'p', 'c', '从未发送', 0, 'u1', 100, 1, now());`);
    const sent = [
      targetCardId("00000000-0000-0000-0000-000000000001", 1, "u1"),
      targetCardId("00000000-0000-0000-0000-000000000002", 1, "u2"), // the old version's card only
    ];
    for (const key of sent) {
      await db.sql.query(
        "INSERT INTO outbox_message (idempotency_key, kind, api, payload) VALUES ($1, 'card', 'card', '{}')",
        [key],
      );
    }
    expect(await applyMigrations(db.sql, silentLog)).toContain(SENT_VERSION);
    expect(await db.sql.query("SELECT label, sent_version FROM target ORDER BY id")).toEqual([
      { label: "已发送", sent_version: 1 },
      { label: "新版本未发送", sent_version: null },
      { label: "从未发送", sent_version: null },
    ]);
  } finally {
    await rm(before, { recursive: true, force: true });
    await db.close();
  }
});
