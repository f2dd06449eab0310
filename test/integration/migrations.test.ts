import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { applyMigrations, readMigrations } from "../../src/db/migrate.ts";
import type { SqlRunner } from "../../src/db/sql.ts";
import { catalog } from "../helpers/catalog.ts";
import { createTestDatabase, silentLog } from "../helpers/test-db.ts";

const run = promisify(execFile);

/** What Prisma itself would create from schema.prisma (offline schema-to-SQL diff, docs/prisma.md). */
async function schemaSql(): Promise<string> {
  const { stdout } = await run(
    "npx",
    ["prisma", "migrate", "diff", "--from-empty", "--to-schema-datamodel", "prisma/schema.prisma", "--script"],
    { cwd: path.resolve(import.meta.dirname, "../.."), maxBuffer: 10 * 1024 * 1024 },
  );
  return stdout.replace(/^Loaded Prisma config.*$/m, "");
}

/**
 * Indexes the migrations add that schema.prisma cannot express (expression / partial indexes), each with why.
 * Only these, with exactly this definition, may differ; anything else is drift.
 */
const INDEXES_BEYOND_SCHEMA = [
  {
    // At most one PENDING change request per target (src/flows/approval), migration 20261206010000_change_approval.
    tablename: "change_request",
    indexname: "change_request_one_pending_per_target",
    indexdef:
      "CREATE UNIQUE INDEX change_request_one_pending_per_target ON public.change_request USING btree (target_id) " +
      "WHERE (status = 'PENDING'::\"ChangeRequestStatus\")",
  },
  {
    // At most one OPEN escalation per plan and owner (src/flows/escalation), migration 20261205020000_escalation.
    tablename: "escalation",
    indexname: "escalation_one_open_per_owner",
    indexdef:
      "CREATE UNIQUE INDEX escalation_one_open_per_owner ON public.escalation USING btree (plan_id, owner_user_id) " +
      "WHERE (status = 'OPEN'::\"EscalationStatus\")",
  },
  {
    // The outbox claim's per-API queue of unfinished rows (outbox-rows.ts claimDue), migration
    // 20261124010000_outbox_due.
    tablename: "outbox_message",
    indexname: "outbox_message_due_idx",
    indexdef:
      "CREATE INDEX outbox_message_due_idx ON public.outbox_message USING btree (api, id) " +
      "WHERE (status = ANY (ARRAY['PENDING'::\"OutboxStatus\", 'SENDING'::\"OutboxStatus\"]))",
  },
  {
    // The outbox claim's per-card / per-chat order check (outbox-rows.ts ORDER_KEY), migration
    // 20261123060000_outbox_order.
    tablename: "outbox_message",
    indexname: "outbox_message_order_key_idx",
    indexdef:
      "CREATE INDEX outbox_message_order_key_idx ON public.outbox_message USING btree " +
      "(COALESCE((payload ->> 'outTrackId'::text), (payload ->> 'conversationId'::text)), id) " +
      "WHERE (status = ANY (ARRAY['PENDING'::\"OutboxStatus\", 'SENDING'::\"OutboxStatus\"]))",
  },
  {
    // The figures in force in index order, for the digest's year to date (src/flows/digest/digest-data.ts),
    // migration 20261207030000_progress_in_force.
    tablename: "progress_entry",
    indexname: "progress_entry_in_force_idx",
    indexdef:
      "CREATE INDEX progress_entry_in_force_idx ON public.progress_entry USING btree (plan_id, metric, user_id, " +
      "period, ((source = 'IMPORT'::\"ProgressSource\")) DESC, id DESC) INCLUDE (amount, source)",
  },
];

/**
 * Constraints the migrations add that schema.prisma cannot express: constraint triggers (pg_constraint lists them,
 * contype 't'; schema.prisma has no triggers) and CHECK constraints (contype 'c').
 */
const CONSTRAINTS_BEYOND_SCHEMA = [
  {
    // The digest's kept figures, brought up to date at commit (migration 20261209010000_progress_kept_at_commit).
    table_name: "progress_entry",
    conname: "progress_figure_keep",
    contype: "t",
    def: "TRIGGER DEFERRABLE INITIALLY DEFERRED",
  },
  {
    // A month array is 12 amounts, January first, none NULL (migration 20261211010000_months_as_arrays).
    table_name: "target_month_amounts",
    conname: "target_month_amounts_twelve",
    contype: "c",
    def:
      "CHECK (((amounts IS NOT NULL) AND (array_ndims(amounts) = 1) AND (array_lower(amounts, 1) = 1) AND " +
      "(cardinality(amounts) = 12) AND (array_position(amounts, NULL::bigint) IS NULL)))",
  },
];

/** Views the migrations add (schema.prisma has none): name and definition as PostgreSQL prints it (spaces folded). */
const VIEWS_BEYOND_SCHEMA = [
  {
    // A leaf's months as one row per month, over the arrays (migration 20261211010000_months_as_arrays).
    viewname: "target_month",
    definition:
      "SELECT a.target_id, (m.month)::integer AS month, m.amount FROM (target_month_amounts a " +
      "CROSS JOIN LATERAL unnest(a.amounts) WITH ORDINALITY m(amount, month));",
  },
];

describe("migrations", () => {
  it("build exactly the schema in schema.prisma (tables, columns, types, indexes, constraints, enums)", async () => {
    const fromMigrations = await createTestDatabase({ template: false }); // every migration, run here
    const fromSchema = await createTestDatabase({ migrate: false });
    try {
      await fromSchema.sql.exec(await schemaSql());
      const expected = await catalog(fromSchema.sql);
      expect(expected.columns.length).toBeGreaterThan(10);
      const actual = await catalog(fromMigrations.sql);
      const extra = actual.indexes.filter((i) => !expected.indexes.some((e) => e.indexname === i.indexname));
      expect(extra).toEqual(INDEXES_BEYOND_SCHEMA);
      const beyond = actual.constraints.filter((c) => c.contype === "t" || c.contype === "c");
      expect(beyond).toEqual(CONSTRAINTS_BEYOND_SCHEMA);
      expect(actual.views).toEqual(VIEWS_BEYOND_SCHEMA);
      const views = new Set(VIEWS_BEYOND_SCHEMA.map((v) => v.viewname));
      expect({
        ...actual,
        columns: actual.columns.filter((c) => !views.has(c.table_name as string)),
        indexes: actual.indexes.filter((i) => !extra.includes(i)),
        constraints: actual.constraints.filter((c) => !beyond.includes(c)),
        views: [],
      }).toEqual(expected);
    } finally {
      await fromMigrations.close();
      await fromSchema.close();
    }
  });

  it("are recorded once each, with checksums, and a second run applies nothing", async () => {
    const db = await createTestDatabase({ template: false });
    try {
      const files = await readMigrations();
      const rows = await db.sql.query<{ migration_name: string; checksum: string }>(
        `SELECT migration_name, checksum FROM "_prisma_migrations" ORDER BY migration_name`,
      );
      expect(rows).toEqual(files.map((f) => ({ migration_name: f.name, checksum: f.checksum })));
      expect(await applyMigrations(db.sql, silentLog)).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it("when nothing is pending, the check is one query: no transaction, no lock, no DDL", async () => {
    const db = await createTestDatabase();
    try {
      const statements: string[] = [];
      let transactions = 0;
      const counting: SqlRunner = {
        query: (text, params) => {
          statements.push(text);
          return db.sql.query(text, params);
        },
        exec: (text) => {
          statements.push(text);
          return db.sql.exec(text);
        },
        transaction: (fn) => {
          transactions++;
          return db.sql.transaction(fn);
        },
      };
      expect(await applyMigrations(counting, silentLog)).toEqual([]);
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatch(/FROM "_prisma_migrations"/);
      expect(transactions).toBe(0);
    } finally {
      await db.close();
    }
  });

  it("a new migration on an up-to-date database is applied and recorded (the one-query check sees it pending)", async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(path.join(tmpdir(), "tb-mig-"));
    try {
      for (const f of await readMigrations()) {
        await mkdir(path.join(dir, f.name));
        await writeFile(path.join(dir, f.name, "migration.sql"), f.sql);
      }
      await mkdir(path.join(dir, "99990101000000_added"));
      await writeFile(
        path.join(dir, "99990101000000_added", "migration.sql"),
        'CREATE TABLE "added_later" (id int);\n',
      );
      expect(await applyMigrations(db.sql, silentLog, dir)).toEqual(["99990101000000_added"]);
      const tables = await db.sql.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'added_later'");
      expect(tables).toHaveLength(1);
      expect(await applyMigrations(db.sql, silentLog, dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.close();
    }
  });

  it("a failing migration rolls back entirely and leaves no record", async () => {
    const db = await createTestDatabase();
    const dir = await mkdtemp(path.join(tmpdir(), "tb-mig-"));
    try {
      for (const f of await readMigrations()) {
        await mkdir(path.join(dir, f.name));
        await writeFile(path.join(dir, f.name, "migration.sql"), f.sql);
      }
      await mkdir(path.join(dir, "99990101000000_broken"));
      await writeFile(
        path.join(dir, "99990101000000_broken", "migration.sql"),
        'CREATE TABLE "half_done" (id int);\nSELECT * FROM no_such_table;\n',
      );
      await expect(applyMigrations(db.sql, silentLog, dir)).rejects.toThrow(/no_such_table/);
      const tables = await db.sql.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'half_done'");
      expect(tables).toEqual([]);
      const recorded = await db.sql.query(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name LIKE '9999%'`);
      expect(recorded).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await db.close();
    }
  });
});
