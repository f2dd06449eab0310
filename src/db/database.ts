import { AsyncLocalStorage } from "node:async_hooks";
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { PrismaPg } from "@prisma/adapter-pg";
import type pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";
import type { Logger } from "../lib/logger.ts";
import { applyMigrations } from "./migrate.ts";
import { copyDataDir, isDataDir, pgliteTemplate, pgliteTemplateDir } from "./pglite-template.ts";
import { openPglite, openPostgres, pgRunner, type SqlDatabase, type SqlRunner } from "./sql.ts";

export type { PrismaClient, SqlRunner };
/** The Prisma client inside an interactive transaction. */
export type Tx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

export interface Database {
  readonly kind: "pglite" | "postgres";
  readonly prisma: PrismaClient;
  /** Raw SQL on the same database (same PGlite instance, or the same server). */
  readonly sql: SqlDatabase;
  /** `SELECT 1` round trip, for /healthz. */
  ping(): Promise<boolean>;
  /** A Prisma interactive transaction whose callback also gets {@link txSql}`(tx)`. */
  transaction<T>(
    fn: (tx: Tx, sql: SqlRunner) => Promise<T>,
    options?: { maxWait?: number; timeout?: number },
  ): Promise<T>;
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
    capturePrismaConnections(pool);
    prisma = seeTransactionConnections(new PrismaClient({ adapter: new PrismaPg(pool) }));
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
    transaction: (fn, options) => prisma.$transaction((tx) => fn(tx, txSql(tx)), options),
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await sql.close();
    },
  };
}

/** The connection a Prisma interactive transaction took from the pool, seen from inside {@link txConnection}. */
interface TakenConnection {
  client?: pg.PoolClient;
  /** Prisma sent COMMIT or ROLLBACK on it (its timeout included), or gave it back to the pool. */
  ended?: boolean;
}
const txConnection = new AsyncLocalStorage<TakenConnection>();
/** The connection each interactive transaction took, by the `tx` its callback got (PostgreSQL). */
const takenBy = new WeakMap<Tx, TakenConnection>();

/**
 * Raw statements inside a Prisma interactive transaction, without Prisma on their way: on PostgreSQL straight on
 * the transaction's own connection. A Prisma raw query costs ~0.35 ms of Node CPU however small (bench:inbound's hot
 * path), and a bulk statement's array parameters go through Prisma's query compiler as JSON (a 24,000-element
 * array: 25–38 ms against node-postgres' ~6; bench:decompose's phasing). Refused once the transaction has ended
 * (committed, rolled back — its timeout included — or its connection released). Rows come back as the driver
 * gives them, which Prisma's raw queries match for text, integers (int8 as bigint), booleans, timestamptz, json and
 * arrays of these; cast numeric to text. On PGlite (one connection, Prisma's) the statements go through `tx`.
 */
export function txSql(tx: Tx): SqlRunner {
  const taken = takenBy.get(tx);
  return taken?.client ? takenRunner(taken, taken.client) : prismaRunner(tx);
}

/**
 * Every interactive transaction of `prisma` runs where {@link capturePrismaConnections} sees the connection it
 * takes, and its `tx` is remembered with it for {@link txSql}. The batch form (an array) is left as it is.
 */
function seeTransactionConnections(prisma: PrismaClient): PrismaClient {
  const begin = prisma.$transaction.bind(prisma) as (arg: unknown, options?: unknown) => Promise<unknown>;
  const interactive = (arg: unknown, options?: unknown) => {
    if (typeof arg !== "function") return begin(arg, options);
    const taken: TakenConnection = {};
    return txConnection.run(taken, () =>
      begin((tx: Tx) => {
        takenBy.set(tx, taken);
        return (arg as (tx: Tx) => Promise<unknown>)(tx);
      }, options),
    );
  };
  Object.defineProperty(prisma, "$transaction", { value: interactive, configurable: true, writable: true });
  return prisma;
}

/**
 * Prisma's pg adapter starts an interactive transaction with `pool.connect()` (the promise form; queries outside
 * one use `pool.query`, which calls `connect` with a callback) and sends BEGIN on that connection. Inside
 * an interactive transaction ({@link seeTransactionConnections}) the first such connection is remembered, so raw
 * statements can use it directly ({@link txSql}).
 */
function capturePrismaConnections(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
  pool.connect = ((...args: unknown[]) => {
    const taken = args.length === 0 ? txConnection.getStore() : undefined;
    if (!taken || taken.client) return connect(...args);
    return (connect() as Promise<pg.PoolClient>).then((client) => {
      taken.client = client;
      watchEnd(client, taken);
      return client;
    });
  }) as pg.Pool["connect"];
}

/**
 * Marks `taken` ended the moment Prisma sends COMMIT or ROLLBACK on the connection (a timed-out transaction is
 * rolled back while its callback may still run) or releases it, so that a later raw statement cannot run outside
 * the transaction, or inside the next one to use the connection. The connection's own methods come back at release.
 */
function watchEnd(client: pg.PoolClient, taken: TakenConnection): void {
  const { query, release } = client;
  const ownQuery = Object.hasOwn(client, "query"); // pg's is the prototype's: put back by deleting the wrapper
  client.query = ((...args: unknown[]) => {
    const q = args[0];
    const text = typeof q === "string" ? q : (q as { text?: unknown } | null)?.text;
    if (text === "COMMIT" || text === "ROLLBACK") taken.ended = true;
    return (query as (...a: unknown[]) => unknown).apply(client, args);
  }) as typeof client.query;
  client.release = ((...args: Parameters<pg.PoolClient["release"]>) => {
    taken.ended = true;
    if (ownQuery) client.query = query;
    else delete (client as { query?: unknown }).query;
    client.release = release;
    return release.apply(client, args);
  }) as pg.PoolClient["release"];
}

/** Raw statements on the taken connection while its transaction is open; refused once it has ended. */
function takenRunner(taken: TakenConnection, client: pg.PoolClient): SqlRunner {
  const raw = pgRunner(client);
  const open = () => {
    if (taken.ended)
      throw new Error("the transaction has ended (committed, rolled back or timed out): no more statements");
  };
  const runner: SqlRunner = {
    query: async <T>(text: string, params?: unknown[]) => {
      open();
      return raw.query<T>(text, params);
    },
    exec: async (text: string) => {
      open();
      await raw.exec(text);
    },
    transaction: (fn) => fn(runner),
  };
  return runner;
}

/** Raw statements through a Prisma transaction (PGlite, or a connection that was not seen being taken). */
function prismaRunner(tx: Tx): SqlRunner {
  const runner: SqlRunner = {
    query: <T>(text: string, params: unknown[] = []) => tx.$queryRawUnsafe<T[]>(text, ...params),
    exec: async (text: string) => void (await tx.$executeRawUnsafe(text)),
    transaction: (fn) => fn(runner),
  };
  return runner;
}

/**
 * A raw statement on either a transaction's `sql` (Database.transaction) or a Prisma client / transaction (through
 * {@link txSql}, which skips Prisma inside an interactive transaction on PostgreSQL): the shared helpers of the
 * inbound hot path take both. Same row types caveat as {@link txSql}.
 */
export function rawQuery<T>(on: Tx | SqlRunner, text: string, params: unknown[] = []): Promise<T[]> {
  const runner = "query" in on && typeof on.query === "function" ? (on as SqlRunner) : txSql(on as Tx);
  return runner.query<T>(text, params);
}

/** True when `dir` does not exist or holds nothing (a fresh data dir may have been made empty beforehand). */
async function isEmptyOrMissing(dir: string): Promise<boolean> {
  return readdir(dir).then(
    (names) => names.length === 0,
    (err: NodeJS.ErrnoException) => err.code === "ENOENT",
  );
}
