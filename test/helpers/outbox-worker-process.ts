/**
 * A replica that only sends: runs one outbox worker against OUTBOX_DB_URL and the emulator at OUTBOX_API_BASE
 * until it is killed. The crash test SIGKILLs it halfway through a fan-out.
 */
import { openDatabase } from "../../src/db/database.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { createLogger } from "../../src/lib/logger.ts";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`outbox-worker-process: ${name} is not set`);
  return value;
};

const log = createLogger("silent");
const db = await openDatabase({ url: env("OUTBOX_DB_URL"), pgliteDir: "", log, migrate: false });
const client = createOpenApiClient({
  apiBase: env("OUTBOX_API_BASE"),
  clientId: env("OUTBOX_CLIENT_ID"),
  clientSecret: env("OUTBOX_CLIENT_SECRET"),
  robotCode: env("OUTBOX_CLIENT_ID"),
});
startOutboxWorker({
  db,
  client,
  log,
  qps: Number(env("OUTBOX_QPS")),
  leaseMs: Number(env("OUTBOX_LEASE_MS")),
  pollMs: 20,
});
process.stdout.write("outbox worker started\n");
