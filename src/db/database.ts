import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../lib/logger.ts";
import { applyMigrations } from "./migrate.ts";
import { copyDataDir, isDataDir, pgliteTemplate, pgliteTemplateDir } from "./pglite-template.ts";
import { openPglite, openPostgres, type SqlDatabase } from "./sql.ts";

export type { PrismaClient };
/** The Prisma client inside an interactive transaction. */
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly prisma: PrismaClient;
  /** Raw SQL on the same database (same PGlite instance, or the same server). */
  readonly sql: SqlDatabase;
  /** `SELECT 1` round trip, for /healthz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgresql:// URL; unset → embedded PGlite. */
  url: string | undefined;
  /** Folder of the embedded database, or "memory://" for a throw-away one (tests). */
  pgliteDir: string;
  log: Logger;
  migrate?: boolean;
  /**
   * PGlite only: a fresh data dir (or memory://) is unpacked from the migrated template instead of running initdb
   * and every migration (pglite-template.ts); the usual one-query migration check follows. Default true; ignored
   * with `migrate: false` (that asks for an empty database). False: initdb and real migrations (their tests).
   */
  template?: boolean;
}

/** Opens the database the configuration names and brings its schema up to date. */
export async function openDatabase(opts: OpenDatabaseOptions): Promise<Database> {
  let sql: SqlDatabase;
  let prisma: PrismaClient;
  if (opts.url) {
    const { db, pool } = openPostgres(opts.url, 10, (err) =>
      opts.log.warn({ err }, "an idle database connection was closed by the server; the pool will reconnect"),
    );
    sql = db;
    prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  } else {
    const memory = opts.pgliteDir.startsWith("memory://");
    const dir = memory ? opts.pgliteDir : path.resolve(opts.pgliteDir);
    if (!memory) await mkdir(path.dirname(dir), { recursive: true });
    const fresh = memory || !(await isDataDir(dir));
    const useTemplate = fresh && opts.migrate !== false && opts.template !== false;
    // A fresh folder is a file copy of the unpacked template (pgliteTemplateDir); memory://, a folder that is not
    // empty, or no unpacked template to be had (a read-only cache): PGlite unpacks the tarball itself.
    const copied =
      useTemplate && !memory && (await isEmptyOrMissing(dir))
        ? await pgliteTemplateDir({ log: opts.log })
            .then((from) => rm(dir, { recursive: true, force: true }).then(() => copyDataDir(from, dir)))
            .then(
              () => true,
              (err) => {
                opts.log.warn({ err }, "could not copy the unpacked PGlite template; unpacking the tarball instead");
                return false;
              },
            )
        : false;
    if (!memory) await mkdir(dir, { recursive: true });
    const template =
      useTemplate && !copied
        ? await pgliteTemplate({ log: opts.log }).catch((err) => {
            opts.log.warn({ err }, "no PGlite template; creating the database from scratch");
            return undefined;
          })
        : undefined;
    const { db, pglite } = await openPglite(dir, { loadDataDir: template?.data });
    sql = db;
    // pglite-prisma-adapter is typed against driver-adapter-utils 6.10; the interface it implements is unchanged
    // in 6.19 (checked by the integration tests, which run every query through it).
    prisma = new PrismaClient({ adapter: new PrismaPGlite(pglite) as unknown as PrismaPg });
  }
  try {
    if (opts.migrate !== false) await applyMigrations(sql, opts.log);
  } catch (err) {
    await sql.close();
    throw err;
  }
  let closed = false;
  return {
    kind: sql.kind,
    prisma,
    sql,
    async ping() {
      try {
        await sql.query("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await sql.close();
    },
  };
}

/** True when `dir` does not exist or holds nothing (a fresh data dir may have been made empty beforehand). */
async function isEmptyOrMissing(dir: string): Promise<boolean> {
  return readdir(dir).then(
    (names) => names.length === 0,
    (err: NodeJS.ErrnoException) => err.code === "ENOENT",
  );
}
