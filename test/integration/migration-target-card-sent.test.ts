import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { applyMigrations, MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import { targetCardId } from "../../src/flows/confirm/target-card-id.ts";
import { createTestDatabase, silentLog } from "../helpers/test-db.ts";

const CARD_SENT = "20261204010000_target_card_sent";

it("migration target_card_sent stamps every target card already in the outbox with its target, version, person and time", async () => {
  const db = await createTestDatabase({ migrate: false });
  const before = await mkdtemp(path.join(tmpdir(), "migrations-"));
  try {
    // The database as it stood before the migration, with a published plan in it.
    for (const name of await readdir(MIGRATIONS_DIR)) {
      if (name < CARD_SENT) await cp(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
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
        `INSERT INTO outbox_message (idempotency_key, kind, api, payload, created_at)
         VALUES ($1, 'card.createAndDeliver', 'card', '{}', '2026-03-02T02:00:00Z')`,
        [key],
      );
    }
    // Not a target card: a reminder text, whose key does not have a card's shape.
    await db.sql.query(
      "INSERT INTO outbox_message (idempotency_key, kind, api, payload) VALUES ('rmd.cfm.x.v1', 'robot.batchSend', 'robot', '{}')",
    );
    expect(await applyMigrations(db.sql, silentLog)).toContain(CARD_SENT);
    const stamped = await db.sql.query<{ target_id: string; version: number; user_id: string; sent_at: Date }>(
      "SELECT target_id, version, user_id, sent_at FROM target_card_sent ORDER BY target_id",
    );
    expect(stamped.map((r) => ({ ...r, sent_at: new Date(r.sent_at).toISOString() }))).toEqual([
      {
        target_id: "00000000-0000-0000-0000-000000000001",
        version: 1,
        user_id: "u1",
        sent_at: "2026-03-02T02:00:00.000Z",
      },
      {
        target_id: "00000000-0000-0000-0000-000000000002",
        version: 1,
        user_id: "u2",
        sent_at: "2026-03-02T02:00:00.000Z",
      },
    ]);
  } finally {
    await rm(before, { recursive: true, force: true });
    await db.close();
  }
});
