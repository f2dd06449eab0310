import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../lib/logger.ts";
import { projectPath } from "../lib/project-root.ts";
import type { SqlRunner } from "./sql.ts";

export const MIGRATIONS_DIR = projectPath("prisma", "migrations");

/** Arbitrary but fixed: every replica takes the same advisory lock, so only one migrates at a time. */
const MIGRATION_LOCK_KEY = 727_073_690;

/** Prisma's own bookkeeping table, so `prisma migrate status` agrees with what the service applied. */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id"                  VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum"            VARCHAR(64) NOT NULL,
  "finished_at"         TIMESTAMPTZ,
  "migration_name"      VARCHAR(255) NOT NULL,
  "logs"                TEXT,
  "rolled_back_at"      TIMESTAMPTZ,
  "started_at"          TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

const APPLIED = `SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    }),
  );
}

/**
 * Applies pending migrations in one transaction under an advisory lock: two replicas starting together
 * queue on the lock, the second finds nothing left to do. When every migration is applied already (most
 * starts), that is learnt from one query and nothing else runs. Returns the names it applied.
 */
export async function applyMigrations(db: SqlRunner, log: Logger, dir = MIGRATIONS_DIR): Promise<string[]> {
  const [migrations, applied] = await Promise.all([readMigrations(dir), appliedMigrations(db)]);
  // The usual start: everything applied already. One query, no transaction and no lock.
  if (applied && migrations.every((m) => applied.has(m.name))) {
    warnIfChanged(migrations, applied, log);
    return [];
  }
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.exec(CREATE_MIGRATIONS_TABLE);
    const rows = await tx.query<{ migration_name: string; checksum: string }>(APPLIED);
    const current = new Map(rows.map((r) => [r.migration_name, r.checksum]));
    warnIfChanged(migrations, current, log);
    const done: string[] = [];
    for (const m of migrations) {
      if (current.has(m.name)) continue;
      await tx.exec(m.sql);
      await tx.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count)
         VALUES ($1, $2, now(), $3, 1)`,
        [randomUUID(), m.checksum, m.name],
      );
      done.push(m.name);
    }
    if (done.length > 0) log.info({ migrations: done }, "applied database migrations");
    return done;
  });
}

/** Names and checksums of the applied migrations, or null when there is no bookkeeping table yet (a new database). */
async function appliedMigrations(db: SqlRunner): Promise<Map<string, string> | null> {
  try {
    const rows = await db.query<{ migration_name: string; checksum: string }>(APPLIED);
    return new Map(rows.map((r) => [r.migration_name, r.checksum]));
  } catch (err) {
    if ((err as { code?: string }).code === "42P01") return null; // undefined_table
    throw err;
  }
}

function warnIfChanged(migrations: Migration[], applied: Map<string, string>, log: Logger): void {
  for (const m of migrations) {
    const checksum = applied.get(m.name);
    if (checksum !== undefined && checksum !== m.checksum) {
      log.warn({ migration: m.name }, "migration file changed after it was applied; write a new migration instead");
    }
  }
}
