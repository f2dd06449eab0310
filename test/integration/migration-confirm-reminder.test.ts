import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { applyMigrations, MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import { createTestDatabase, silentLog } from "../helpers/test-db.ts";

const CONFIRM_REMINDER = "20261205030000_confirm_reminder";
const T1 = "00000000-0000-0000-0000-000000000001";
const T2 = "00000000-0000-0000-0000-000000000002";

it("migration confirm_reminder records the per-target reminders already in the outbox, so none goes out twice", async () => {
  const db = await createTestDatabase({ migrate: false });
  const before = await mkdtemp(path.join(tmpdir(), "migrations-"));
  try {
    for (const name of await readdir(MIGRATIONS_DIR)) {
      if (name < CONFIRM_REMINDER) {
        await cp(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
      }
    }
    await applyMigrations(db.sql, silentLog, before);
    // Reminders as the job sent them before batching: one text per owner and target, one card per manager and
    // target; and keys that only look alike (a target card, a dispute notice, a malformed id) are left alone.
    const rows: [string, string, string][] = [
      [`rmd.cfm.${T1}.v1`, "robot.batchSend", JSON.stringify({ userIds: ["u1"], msgKey: "sampleText" })],
      [`rmd.cfm.${T2}.v3`, "robot.batchSend", JSON.stringify({ userIds: ["u2"], msgKey: "sampleText" })],
      [
        `notice.unconfirmed.${T1}.v1`,
        "card.createAndDeliver",
        JSON.stringify({ openSpaceId: "dtv1.card//IM_ROBOT.m1" }),
      ],
      [`tgt.${T1}.v1.u1`, "card.createAndDeliver", "{}"],
      ["notice.dispute.42", "card.createAndDeliver", "{}"],
      ["rmd.cfm.x.v1", "robot.batchSend", "{}"],
    ];
    for (const [key, kind, payload] of rows) {
      await db.sql.query(
        `INSERT INTO outbox_message (idempotency_key, kind, api, payload, created_at)
         VALUES ($1, $2, 'x', $3::jsonb, '2026-03-04T02:00:00Z')`,
        [key, kind, payload],
      );
    }
    expect(await applyMigrations(db.sql, silentLog)).toContain(CONFIRM_REMINDER);
    const named = await db.sql.query<{ target_id: string; version: number; kind: string; user_id: string }>(
      "SELECT target_id, version, kind, user_id FROM confirm_reminder ORDER BY target_id, kind",
    );
    expect(named).toEqual([
      { target_id: T1, version: 1, kind: "MANAGER", user_id: "m1" },
      { target_id: T1, version: 1, kind: "OWNER", user_id: "u1" },
      { target_id: T2, version: 3, kind: "OWNER", user_id: "u2" },
    ]);
  } finally {
    await rm(before, { recursive: true, force: true });
    await db.close();
  }
});
