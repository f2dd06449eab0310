/** npm run seed:demo — loads the reference company and its 2026 plan into the configured database. */
import path from "node:path";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { seedDemo } from "../src/demo/seed-demo.ts";
import { createLogger } from "../src/lib/logger.ts";
import { planReadiness } from "../src/plans/plan-readiness.ts";

const config = loadConfig();
const log = createLogger(config.logLevel);
const db = await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, "pglite"), log });
try {
  const t0 = performance.now();
  const { planId, created } = await seedDemo(db);
  const readiness = await planReadiness(db, planId);
  console.log(
    `${created ? "seeded" : "already seeded"}: plan ${planId} — ${readiness.leaves} leaf targets, ` +
      `conserved: ${readiness.conserved}, problems: ${readiness.problems.length} (${Math.round(performance.now() - t0)} ms)`,
  );
} finally {
  await db.close();
}
