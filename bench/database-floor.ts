/**
 * A bench's memory floor (run by runPerEngine in a process of its own): opens the bench's database the way the
 * bench child does — PGlite in BENCH_PGLITE_DIR (or a fresh one in memory), or BENCH_DB_URL — with the schema
 * up to date, loads nothing, closes, and prints its peak RSS in MB. `--init` creates and migrates the database
 * first (initdb for PGlite) and prints nothing, so the floor and the bench child both open an existing one.
 */
import { openDatabase } from "../src/db/database.ts";
import { createLogger } from "../src/lib/logger.ts";
import { peakRssMb } from "./bench-util.ts";

const db = await openDatabase({
  url: process.env.BENCH_DB_URL,
  pgliteDir: process.env.BENCH_PGLITE_DIR ?? "memory://",
  log: createLogger("silent"),
});
await db.ping();
await db.close();
if (!process.argv.includes("--init")) console.log(peakRssMb());
