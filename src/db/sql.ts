import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { preparedName } from "./prepared-names.ts";

/**
 * The smallest raw-SQL surface the service needs beside Prisma: migrations, bulk upserts and set-based checks.
 * One implementation per engine; both speak PostgreSQL, so the SQL is the same.
 */
export interface SqlRunner {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(text: string): Promise<void>;
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

export interface SqlDatabase extends SqlRunner {
  readonly kind: "pglite" | "postgres";
  close(): Promise<void>;
}

// int8 and numeric come back as strings from node-postgres; parse int8 to bigint so both engines agree.
const INT8_OID = 20;

export function openPostgres(
  url: string,
  poolSize = 10,
  onIdleError: (err: Error) => void = () => undefined,
): { db: SqlDatabase; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === INT8_OID ? (v: string) => BigInt(v) : pg.types.getTypeParser(oid, format as "text")) as never,
    },
  });
  // An idle connection can be closed by the server (restart, failover, a dropped test database). Without a
  // listener node-postgres re-throws that as an unhandled error and the process dies; the pool simply
  // replaces the connection, so log it and carry on.
  pool.on("error", onIdleError);
  return { db: { kind: "postgres", ...pgRunner(pool), close: () => pool.end() }, pool };
}

/** Statements on a pool (a transaction takes a connection of its own) or on one connection (already in one). */
export function pgRunner(client: pg.Pool | pg.PoolClient): SqlRunner {
  const runner = pgRunner;
  return {
    async query<T>(text: string, params?: unknown[]) {
      // A text sent again is prepared once per connection (prepared-names.ts: parse and plan once, not per push).
      const name = preparedName(text, params);
      const result =
        name === undefined
          ? await client.query(text, params as unknown[])
          : await client.query({ name, text, values: params as unknown[] });
      return result.rows as T[];
    },
    async exec(text: string) {
      await client.query(text);
    },
    async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
      if (!(client instanceof pg.Pool)) return fn(runner(client));
      const conn = await client.connect();
      try {
        await conn.query("BEGIN");
        const result = await fn(runner(conn));
        await conn.query("COMMIT");
        return result;
      } catch (err) {
        await conn.query("ROLLBACK").catch(() => undefined);
        throw err;
      } finally {
        conn.release();
      }
    },
  };
}

/**
 * PGlite's start parameters: its defaults plus a smaller buffer pool. PostgreSQL's default shared_buffers
 * (128 MB) lives inside PGlite's WebAssembly heap, is touched when the database starts and is never given back;
 * at 16 MB a bare PGlite's resident memory is ~120 MB lower (bench:org-import prints the floor), and the rows a
 * big import or decomposition touches still fit (the tables' pages are read back from the data directory's
 * files, which the OS caches). wal_buffers follows (1/32 of it). Given at create time because PostgreSQL only
 * reads shared_buffers at start.
 */
export function pgliteStartParams(): string[] {
  return [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"];
}

/**
 * Opens (or creates) the embedded database in `dataDir`. `loadDataDir`: a tarball from `dumpDataDir()` to unpack
 * into a fresh data dir instead of running initdb (the migrated template, pglite-template.ts).
 */
export async function openPglite(
  dataDir: string,
  opts: { loadDataDir?: Blob } = {},
): Promise<{ db: SqlDatabase; pglite: PGlite }> {
  // Same int8 → bigint parsing as openPostgres; Prisma's adapter passes its own parsers per query.
  const pglite = await PGlite.create(dataDir, {
    parsers: { [INT8_OID]: (v: string) => BigInt(v) },
    startParams: pgliteStartParams(),
    ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
  });
  type Queryable = Pick<PGlite, "query" | "exec">;
  // PGlite runs each statement synchronously on this thread and hands the next waiting statement the lock in a
  // microtask, so a queue of statements (a batch's rate-limit takes, marks, polls) ran back to back without the
  // event loop turning: sockets, timers and HTTP answers waited for the whole queue (50–250 ms), and that wait
  // counted as network delay in the outbox's rate-limit margin. Statements therefore go one at a time, each
  // after a turn of the event loop (setImmediate runs after pending I/O). A transaction is one turn; the
  // statements inside it run back to back, as PGlite would anyway.
  let tail: Promise<unknown> = Promise.resolve();
  const afterIo = () => new Promise<void>((resolve) => setImmediate(resolve));
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(afterIo).then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
  const runner = (q: Queryable, inTx: boolean): SqlRunner => {
    const turn = <T>(fn: () => Promise<T>) => (inTx ? fn() : inTurn(fn));
    return {
      query<T>(text: string, params?: unknown[]) {
        return turn(async () => (await q.query<T>(text, params)).rows);
      },
      async exec(text: string) {
        await turn(() => q.exec(text));
      },
      transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
        if (inTx) return fn(runner(q, true));
        return inTurn(() => pglite.transaction((tx) => fn(runner(tx as unknown as Queryable, true))));
      },
    };
  };
  return {
    db: {
      kind: "pglite",
      ...runner(pglite, false),
      close: async () => {
        await tail; // statements already asked for still run, as they did in PGlite's own queue
        if (!pglite.closed) await pglite.close();
      },
    },
    pglite,
  };
}
