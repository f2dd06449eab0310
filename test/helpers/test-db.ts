import { randomBytes } from "node:crypto";
import pg from "pg";
import { type Database, openDatabase } from "../../src/db/database.ts";
import { createLogger } from "../../src/lib/logger.ts";

/**
 * The suite runs twice in CI: without DATABASE_URL every test gets a throw-away in-memory PGlite; with it, every
 * test gets a fresh database on that PostgreSQL server (created here, dropped on close), so files can run in
 * parallel without seeing each other's rows.
 */
export const serverUrl = process.env.DATABASE_URL || undefined;
export const engine = serverUrl ? "postgres" : "pglite";

/** The local server, for the tests that are about several processes sharing one PostgreSQL database. */
export const localServerUrl = serverUrl ?? "postgresql://postgres@127.0.0.1:5432/postgres";

let probe: Promise<string | false> | undefined;

/**
 * Set (to 1) by `.ci/run` for its PGlite run, which is followed by a run on the same server: the tests that use
 * {@link localServerUrl} even on PGlite then run once, in the server run, instead of twice alike (they are the
 * suite's slowest: several processes sharing one database, 1,000 cards at 20 QPS).
 */
export const SERVER_TESTS_IN_SERVER_RUN = "TB_SERVER_TESTS_IN_SERVER_RUN";

/**
 * Skips the calling test, saying why, when it needs {@link localServerUrl} and no server answers there on the
 * PGlite run (no DATABASE_URL), or when {@link SERVER_TESTS_IN_SERVER_RUN} says a server run follows. With
 * DATABASE_URL set (CI's server run) it never skips: a server that does not answer is then a failure. Probed
 * once per test file.
 */
export async function skipWithoutLocalServer(ctx: { skip(condition: boolean, note?: string): void }): Promise<void> {
  const reason = await localServerMissing();
  ctx.skip(reason !== false, reason || undefined);
}

function localServerMissing(): Promise<string | false> {
  probe ??= (async () => {
    if (serverUrl) return false;
    if (process.env[SERVER_TESTS_IN_SERVER_RUN] === "1")
      return `skipped here: runs in the PostgreSQL run that follows (${SERVER_TESTS_IN_SERVER_RUN}=1)`;
    const client = new pg.Client({ connectionString: localServerUrl, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query("SELECT 1");
      return false;
    } catch (err) {
      const reason = `skipped: needs a PostgreSQL server at ${new URL(localServerUrl).host}, which did not answer (${(err as Error).message})`;
      console.warn(reason);
      return reason;
    } finally {
      await client.end().catch(() => undefined);
    }
  })();
  return probe;
}

export const silentLog = createLogger("silent");

export interface TestDatabase extends Database {
  /** postgresql:// URL of the fresh database (server mode only). */
  url?: string;
}

/**
 * A fresh database for one test. Migrated (the default): on PGlite unpacked from the migrated template
 * (src/db/pglite-template.ts), on PostgreSQL copied from the run's migrated template database (test/global-setup.ts)
 * with CREATE DATABASE … TEMPLATE; either way the one-query migration check then finds nothing pending.
 * `migrate: false`: an empty database. `template: false`: initdb / CREATE DATABASE and every migration for real
 * (the tests of migrating itself).
 */
export async function createTestDatabase(opts: { migrate?: boolean; template?: boolean } = {}): Promise<TestDatabase> {
  if (!serverUrl) return openDatabase({ url: undefined, pgliteDir: "memory://", log: silentLog, ...opts });
  const empty = opts.migrate === false || opts.template === false;
  const { url, drop } = await createServerDatabase(serverUrl, { empty });
  const db = await openDatabase({ url, pgliteDir: "", log: silentLog, migrate: opts.migrate });
  return {
    ...db,
    url,
    async close() {
      await db.close();
      await drop();
    },
  };
}

/** Set by test/global-setup.ts: the run's migrated template database and the server it is on. */
export const TEMPLATE_DB_ENV = "TB_TEST_TEMPLATE_DB";
export const TEMPLATE_SERVER_ENV = "TB_TEST_TEMPLATE_SERVER";

/** The same server (host, port, user) as the one the run's template database is on. */
function templateFor(baseUrl: string): string | undefined {
  const name = process.env[TEMPLATE_DB_ENV];
  const server = process.env[TEMPLATE_SERVER_ENV];
  if (!name || !server) return undefined;
  const a = new URL(baseUrl);
  const b = new URL(server);
  return a.host === b.host && a.username === b.username ? name : undefined;
}

/**
 * CREATE DATABASE next to the one `baseUrl` names; returns its URL and a function that drops it. The new database
 * is a copy of the run's migrated template when there is one on that server (so opening it migrates nothing),
 * unless `empty` asks for a bare one (the tests of migrating on start).
 */
export async function createServerDatabase(
  baseUrl: string,
  opts: { empty?: boolean } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = testDatabaseName("test");
  const template = opts.empty ? undefined : templateFor(baseUrl);
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * Every database the suite makes on a server is named `tb_<kind>_<created, seconds since 1970 in base 36>_<random>`,
 * so that a later run can tell what a killed run left behind (its `close()` and global teardown never ran) by age.
 */
export function testDatabaseName(kind: string, now = Date.now()): string {
  if (!/^[a-z]+$/.test(kind)) throw new Error(`test database kind must be lowercase letters: ${kind}`);
  return `tb_${kind}_${Math.floor(now / 1000).toString(36)}_${randomBytes(6).toString("hex")}`;
}

/** No test run lasts this long: a suite database older than this is a killed run's leftover. */
export const LEFTOVER_AFTER_MS = 6 * 3600_000;

/**
 * Drops the suite databases on `admin`'s server that are older than {@link LEFTOVER_AFTER_MS} (templates are made
 * ordinary first: a template cannot be dropped). Younger ones may belong to a run still going, and names of any
 * other shape are not the suite's: both are left alone. Returns the names dropped.
 */
export async function dropLeftoverDatabases(admin: pg.Client, now = Date.now()): Promise<string[]> {
  const { rows } = await admin.query<{ datname: string; datistemplate: boolean }>(
    "SELECT datname, datistemplate FROM pg_database WHERE datname ~ '^tb_[a-z]+_[0-9a-z]+_[0-9a-f]{12}$'",
  );
  const dropped: string[] = [];
  for (const { datname, datistemplate } of rows) {
    const created = Number.parseInt(datname.split("_")[2]!, 36) * 1000;
    if (!(now - created > LEFTOVER_AFTER_MS)) continue;
    if (datistemplate) await admin.query(`ALTER DATABASE ${datname} WITH IS_TEMPLATE false`);
    await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    dropped.push(datname);
  }
  return dropped;
}
