import type pg from "pg";
import type { Tx } from "./database.ts";
import { connectionsByPid, releasesOf } from "./sql.ts";

/**
 * Parameters (array elements counted one by one) from which a statement goes on the transaction's own
 * connection; below it the extra `pg_backend_pid()` round trip of the first such statement costs more than it saves.
 */
export const BULK_MIN_VALUES = 2_000;

/**
 * The pg connection of each Prisma transaction that sent a bulk statement, with its release count then (null: none
 * reachable, e.g. PGlite).
 */
const connectionOf = new WeakMap<Tx, { conn: pg.PoolClient; releases: number } | null>();

/**
 * Runs a bulk write (a set-based INSERT of thousands of rows, its columns as array parameters) inside a Prisma
 * interactive transaction. On PostgreSQL it goes on the transaction's own connection through node-postgres — same
 * session, same transaction, same SQL — rather than through `$executeRawUnsafe`, which passes every parameter
 * through Prisma's query compiler as JSON: for a 24,000-element array that is 25–38 ms of Node CPU where
 * node-postgres takes ~6 (bench:decompose's phasing sends ten such statements — months and ledger, 2,000 leaves
 * each — and a 250-rep split two).
 * The connection is found once per transaction by its server process id. On PGlite (one connection, no pool)
 * and for small statements it is `$executeRawUnsafe` as before.
 */
export async function bulkExecute(tx: Tx, sql: string, params: unknown[]): Promise<void> {
  const values = params.reduce<number>((n, p) => n + (Array.isArray(p) ? p.length : 1), 0);
  const conn = values >= BULK_MIN_VALUES && connectionsByPid.size > 0 ? await transactionConnection(tx) : null;
  if (conn) await conn.query(sql, params);
  else await tx.$executeRawUnsafe(sql, ...params);
}

/**
 * A query inside a Prisma interactive transaction that sends or returns hundreds of values (a split's 250 children
 * and their co-owners, the 500 people it names). On PostgreSQL it goes on the transaction's connection like
 * {@link bulkExecute} (Prisma's raw path spent ~6 ms of Node CPU on 250 rows, node-postgres ~1), its rows parsed by
 * node-postgres with the pool's parsers: int8 as bigint, as Prisma gives it. For results without numeric or int8[]
 * columns (those two differ: strings here, Decimal and bigint[] from Prisma). PGlite: `$queryRawUnsafe`.
 */
export async function txQuery<T>(tx: Tx, sql: string, params: unknown[]): Promise<T[]> {
  const conn = connectionsByPid.size > 0 ? await transactionConnection(tx) : null;
  if (conn) return (await conn.query(sql, params)).rows as T[];
  return tx.$queryRawUnsafe<T[]>(sql, ...params);
}

async function transactionConnection(tx: Tx): Promise<pg.PoolClient | null> {
  let found = connectionOf.get(tx);
  if (found === undefined) {
    const [row] = await tx.$queryRawUnsafe<{ pid: number }[]>("SELECT pg_backend_pid() AS pid");
    const conn = row && connectionsByPid.get(Number(row.pid));
    found = conn ? { conn, releases: releasesOf.get(conn) ?? 0 } : null;
    connectionOf.set(tx, found);
  }
  // Released since (the transaction timed out and Prisma rolled it back): the connection may be another's now.
  if (found && (releasesOf.get(found.conn) ?? 0) !== found.releases)
    throw new Error("the transaction is closed: its connection went back to the pool");
  return found?.conn ?? null;
}
