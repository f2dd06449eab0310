import pg from "pg";
import { openDatabase } from "../src/db/database.ts";
import { pgliteTemplate } from "../src/db/pglite-template.ts";
import { createLogger } from "../src/lib/logger.ts";
import { dropLeftoverDatabases, TEMPLATE_DB_ENV, TEMPLATE_SERVER_ENV, testDatabaseName } from "./helpers/test-db.ts";

/**
 * Once per `vitest run`, before the workers start:
 * - the PGlite template (an empty migrated database's data dir) is made sure of, so no worker builds it;
 * - on the PostgreSQL server, databases a killed run left behind (older than a run can last) are dropped;
 * - on the PostgreSQL server the run uses (DATABASE_URL, else the local one if it answers: the fleet tests use
 *   it on the PGlite run too) a migrated template database is made, and its name handed to the workers in the
 *   environment they inherit; every test database is then `CREATE DATABASE … TEMPLATE` it (a file copy) instead
 *   of a CREATE and every migration. It refuses connections (ALLOW_CONNECTIONS false): CREATE DATABASE … TEMPLATE
 *   fails while anyone is connected to the template. Dropped at the end of the run.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const log = createLogger("warn");
  await pgliteTemplate({ log });

  const explicit = process.env.DATABASE_URL || undefined;
  const serverUrl = explicit ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const name = testDatabaseName("template");
  const admin = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
  } catch (err) {
    if (explicit) throw err; // the server run needs its server
    return async () => undefined; // no local server: the tests that need one skip themselves
  }
  try {
    const leftovers = await dropLeftoverDatabases(admin);
    if (leftovers.length > 0) log.warn({ leftovers }, "dropped databases a killed test run left behind");
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const db = await openDatabase({ url: url.toString(), pgliteDir: "", log });
    await db.close();
    await admin.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  } catch (err) {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    throw err;
  } finally {
    await admin.end();
  }
  process.env[TEMPLATE_DB_ENV] = name;
  process.env[TEMPLATE_SERVER_ENV] = serverUrl;
  return async () => {
    const c = new pg.Client({ connectionString: serverUrl });
    await c.connect();
    try {
      await c.query(`ALTER DATABASE ${name} WITH IS_TEMPLATE false`);
      await c.query(`DROP DATABASE IF EXISTS ${name}`);
    } finally {
      await c.end();
    }
  };
}
