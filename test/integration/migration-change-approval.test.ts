import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect, it } from "vitest";
import { applyMigrations, MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import { createTestDatabase, silentLog } from "../helpers/test-db.ts";

const CHANGE_APPROVAL = "20261206010000_change_approval";

it("migration change_approval withdraws the placeholders and older duplicates stored before routing, then allows one pending request per target", async () => {
  const db = await createTestDatabase({ migrate: false });
  const before = await mkdtemp(path.join(tmpdir(), "migrations-"));
  try {
    for (const name of await readdir(MIGRATIONS_DIR)) {
      if (name < CHANGE_APPROVAL) {
        await cp(path.join(MIGRATIONS_DIR, name), path.join(before, name), { recursive: true });
      }
    }
    await applyMigrations(db.sql, silentLog, before);
    const q = (sql: string, params: unknown[] = []) => db.sql.query(sql, params);
    await q("INSERT INTO department (id, name) VALUES ('d1', '华东')");
    await q(
      "INSERT INTO staff (user_id, name, dept_id, role) VALUES ('u1', '李娜', 'd1', 'REP'), ('m1', '王伟', 'd1', 'MANAGER')",
    );
    await q(
      "INSERT INTO plan (id, name, fiscal_year, total, owner_user_id, status) VALUES ('p1', '计划', 2026, 300, 'm1', 'PUBLISHED')",
    );
    await q(
      `INSERT INTO target (id, plan_id, key, label, depth, amount, state)
       VALUES ('t1', 'p1', 'a', '李娜', 1, 100, 'PUBLISHED'), ('t2', 'p1', 'b', '赵涛', 1, 200, 'PUBLISHED')`,
    );
    // Before routing existed: 发起目标调整's placeholder at the current amount (t1), a dispute of t1, and two
    // disputes of t2 a day apart.
    const request = (id: string, target: string, current: number, proposed: number, at: string, kind = "DISPUTE") =>
      q(
        `INSERT INTO change_request (id, plan_id, target_id, target_version, kind, requester_user_id, reason,
                                     current_amount, proposed_amount, created_at)
         VALUES ($1, 'p1', $2, 1, $3::"ChangeRequestKind", 'u1', '原因', $4, $5, $6)`,
        [id, target, kind, current, proposed, at],
      );
    await request("r-placeholder", "t1", 100, 100, "2026-04-01T02:00:00Z", "CHANGE");
    await request("r-dispute", "t1", 100, 90, "2026-04-02T02:00:00Z");
    await request("r-older", "t2", 200, 150, "2026-04-01T02:00:00Z");
    await request("r-newer", "t2", 200, 180, "2026-04-02T02:00:00Z");

    expect(await applyMigrations(db.sql, silentLog)).toContain(CHANGE_APPROVAL);
    const rows = await q("SELECT id, status, status_note FROM change_request ORDER BY id");
    expect(rows).toEqual([
      { id: "r-dispute", status: "PENDING", status_note: null },
      { id: "r-newer", status: "PENDING", status_note: null },
      { id: "r-older", status: "WITHDRAWN", status_note: "同一目标有更新的待审批申请" },
      { id: "r-placeholder", status: "WITHDRAWN", status_note: "审批流程上线前的占位申请，未提出新金额" },
    ]);
    // From now on a second pending request for a target is impossible, whoever inserts it.
    await expect(request("r-second", "t1", 100, 95, "2026-04-03T02:00:00Z")).rejects.toThrow(
      /change_request_one_pending_per_target/,
    );
  } finally {
    await rm(before, { recursive: true, force: true });
    await db.close();
  }
});
