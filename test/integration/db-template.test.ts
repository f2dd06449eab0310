import { createHash } from "node:crypto";
import { appendFile, cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { MIGRATIONS_DIR, readMigrations } from "../../src/db/migrate.ts";
import {
  installedPgliteVersion,
  pgliteTemplate,
  pgliteTemplateDir,
  templateKey,
} from "../../src/db/pglite-template.ts";
import type { SqlRunner } from "../../src/db/sql.ts";
import { catalog } from "../helpers/catalog.ts";
import {
  createServerDatabase,
  createTestDatabase,
  dropLeftoverDatabases,
  engine,
  LEFTOVER_AFTER_MS,
  serverUrl,
  silentLog,
  testDatabaseName,
} from "../helpers/test-db.ts";

/**
 * Fresh databases are copies of a migrated template (PGlite: a data-dir tarball, src/db/pglite-template.ts;
 * PostgreSQL: CREATE DATABASE … TEMPLATE, test/global-setup.ts). A copy must be indistinguishable from a database
 * migrated from scratch, and a template made for other migrations must never be used.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The bookkeeping rows; `id` is a random UUID per applied migration, so a copy has its template's ids. */
async function migrationRows(sql: SqlRunner) {
  return sql.query<{ id: string; migration_name: string; checksum: string; applied_steps_count: number }>(
    `SELECT id, migration_name, checksum, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
  );
}
/** Every file under `dir` (relative path) → sha256 of its content. */
async function fileDigests(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const file = path.join(e.parentPath, e.name);
    out.set(
      path.relative(dir, file),
      createHash("sha256")
        .update(await readFile(file))
        .digest("hex"),
    );
  }
  return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
}
const withoutIds = (rows: { id: string }[]) => rows.map(({ id: _, ...rest }) => rest);

describe("fresh databases from the migrated template", () => {
  it(`on ${engine}: a copy has the same schema and migration records as a database migrated from scratch`, async () => {
    const a = await createTestDatabase();
    cleanups.push(() => a.close());
    const b = await createTestDatabase();
    cleanups.push(() => b.close());
    const scratch = await createTestDatabase({ template: false });
    cleanups.push(() => scratch.close());

    const rowsA = await migrationRows(a.sql);
    const rowsB = await migrationRows(b.sql);
    const rowsScratch = await migrationRows(scratch.sql);
    // Copies of one template: the very same records (ids included); the scratch database applied its own.
    expect(rowsA).toEqual(rowsB);
    expect(rowsA.map((r) => r.id)).not.toEqual(rowsScratch.map((r) => r.id));
    const files = await readMigrations();
    expect(withoutIds(rowsA)).toEqual(
      files.map((f) => ({ migration_name: f.name, checksum: f.checksum, applied_steps_count: 1 })),
    );
    expect(withoutIds(rowsA)).toEqual(withoutIds(rowsScratch));
    expect(await catalog(a.sql)).toEqual(await catalog(scratch.sql));

    // Behaves the same: defaults, sequences and constraints work in the copy, and copies share no rows.
    const insert = `INSERT INTO department (id, name) VALUES ('d1', '华东') RETURNING id`;
    expect(await a.sql.query(insert)).toEqual([{ id: "d1" }]);
    await expect(a.sql.query(insert)).rejects.toThrow(/duplicate key/);
    expect(await b.sql.query(`SELECT count(*)::int AS n FROM department`)).toEqual([{ n: 0 }]);
  });

  it.skipIf(engine !== "postgres")(
    "on postgres: an empty database is bare when asked for one (migrating tests)",
    async () => {
      const { url, drop } = await createServerDatabase(serverUrl as string, { empty: true });
      cleanups.push(drop);
      const db = await openDatabase({ url, pgliteDir: "", log: silentLog, migrate: false });
      cleanups.push(() => db.close());
      expect(await db.sql.query(`SELECT to_regclass('"_prisma_migrations"') IS NULL AS bare`)).toEqual([
        { bare: true },
      ]);
    },
  );

  it.skipIf(engine !== "postgres")(
    "on postgres: a killed run's leftover databases (a template among them) are dropped; a running run's are kept",
    async () => {
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      cleanups.push(() => admin.end());
      const now = Date.now();
      const old = testDatabaseName("test", now - LEFTOVER_AFTER_MS - 60_000);
      const oldTemplate = testDatabaseName("template", now - LEFTOVER_AFTER_MS - 60_000);
      const young = testDatabaseName("test", now - LEFTOVER_AFTER_MS + 60_000);
      const foreign = `tb_keep_${Math.floor((now - 2 * LEFTOVER_AFTER_MS) / 1000).toString(36)}_mine`;
      for (const name of [old, oldTemplate, young, foreign]) await admin.query(`CREATE DATABASE ${name}`);
      cleanups.push(async () => {
        for (const name of [old, oldTemplate, young, foreign]) {
          await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`).catch(() => undefined);
          await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        }
      });
      await admin.query(`ALTER DATABASE ${oldTemplate} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);

      const dropped = await dropLeftoverDatabases(admin, now);
      expect(dropped.filter((n) => [old, oldTemplate, young, foreign].includes(n)).sort()).toEqual(
        [old, oldTemplate].sort(),
      );
      const { rows } = await admin.query<{ datname: string }>(
        "SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY datname",
        [[old, oldTemplate, young, foreign]],
      );
      expect(rows.map((r) => r.datname)).toEqual([young, foreign].sort());
    },
  );

  it.skipIf(engine !== "pglite")(
    "on pglite: a fresh data folder is a copy of the unpacked template, shares no file with it, keeps its rows and reopens",
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "tb-template-dir-"));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const template = await pgliteTemplate({ log: silentLog });
      const fromTemplate = await PGlite.create("memory://", { loadDataDir: template.data });
      const templateRows = await migrationRows({
        query: async (text) => (await fromTemplate.query(text)).rows as never,
        exec: async () => undefined,
        transaction: async () => undefined as never,
      });
      await fromTemplate.close();
      const unpacked = await pgliteTemplateDir({ log: silentLog });
      const unpackedBefore = await fileDigests(unpacked);

      const first = await openDatabase({ url: undefined, pgliteDir: dir, log: silentLog });
      expect(await migrationRows(first.sql)).toEqual(templateRows); // copied, not migrated here
      await first.sql.query(`INSERT INTO department (id, name) VALUES ('d1', '华东')`);
      await first.sql.exec("CHECKPOINT"); // the row is written into the copy's own relation files
      await first.close();
      // Every file of the template came across, and nothing written to the copy reached the template.
      expect([...(await fileDigests(dir)).keys()]).toEqual(expect.arrayContaining([...unpackedBefore.keys()]));
      expect(await fileDigests(unpacked)).toEqual(unpackedBefore);
      expect(await fileDigests(dir)).not.toEqual(unpackedBefore);
      expect((await readdir(path.dirname(dir))).filter((n) => n.startsWith(`${path.basename(dir)}.`))).toEqual([]);

      const again = await openDatabase({ url: undefined, pgliteDir: dir, log: silentLog });
      cleanups.push(() => again.close());
      expect(await migrationRows(again.sql)).toEqual(templateRows);
      expect(await again.sql.query(`SELECT name FROM department`)).toEqual([{ name: "华东" }]);
    },
  );

  it.skipIf(engine !== "pglite")(
    "a template made for other migrations (another checksum) is not used: a new one is built",
    async () => {
      const work = await mkdtemp(path.join(tmpdir(), "tb-template-"));
      cleanups.push(() => rm(work, { recursive: true, force: true }));
      const migrationsDir = path.join(work, "migrations");
      const cacheDir = path.join(work, "cache");
      await cp(MIGRATIONS_DIR, migrationsDir, { recursive: true });

      const before = await pgliteTemplate({ log: silentLog, migrationsDir, cacheDir });
      expect(before.built).toBe(true);
      expect(before.key.startsWith(`${await installedPgliteVersion()}-`)).toBe(true);
      expect(await readdir(cacheDir)).toEqual([path.basename(before.file)]);
      const unpackedBefore = await pgliteTemplateDir({ log: silentLog, migrationsDir, cacheDir });
      expect((await readdir(cacheDir)).sort()).toEqual([path.basename(unpackedBefore), path.basename(before.file)]);
      expect((await pgliteTemplate({ log: silentLog, migrationsDir, cacheDir })).key).toBe(before.key); // unchanged

      // Same migration names, one file's content changed: another checksum, so another key.
      const last = (await readMigrations(migrationsDir)).at(-1)?.name as string;
      await appendFile(path.join(migrationsDir, last, "migration.sql"), "\nCREATE TABLE stale_probe (id int);\n");
      expect(await templateKey(migrationsDir)).not.toBe(before.key);

      const after = await pgliteTemplate({ log: silentLog, migrationsDir, cacheDir });
      expect(after.built).toBe(true);
      expect((await readdir(cacheDir)).sort()).toEqual(
        [path.basename(unpackedBefore), path.basename(after.file)].sort(),
      ); // the stale tarball is gone
      const unpackedAfter = await pgliteTemplateDir({ log: silentLog, migrationsDir, cacheDir });
      expect(unpackedAfter).not.toBe(unpackedBefore);
      // The stale unpacked folder is gone too, and the new one holds the changed migration.
      expect((await readdir(cacheDir)).sort()).toEqual([path.basename(unpackedAfter), path.basename(after.file)]);
      const copy = await PGlite.create(unpackedAfter);
      cleanups.push(() => copy.close());
      expect((await copy.query(`SELECT to_regclass('stale_probe') IS NOT NULL AS present`)).rows).toEqual([
        { present: true },
      ]);
      const db = await PGlite.create("memory://", { loadDataDir: after.data });
      cleanups.push(() => db.close());
      expect((await db.query(`SELECT to_regclass('stale_probe') IS NOT NULL AS present`)).rows).toEqual([
        { present: true },
      ]);
    },
  );
});
