import { loadConfig } from "../../src/config.ts";
import { type RunningService, type StartServiceOptions, startService } from "../../src/start-service.ts";
import { createTestDatabase, silentLog, type TestDatabase } from "./test-db.ts";

export const TEST_TOKEN = "test-admin-token-0123456789abcdef";

export interface TestService extends RunningService {
  db: TestDatabase;
  /** fetch against the service with the admin token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Starts the real service (real HTTP on a random port) on a fresh test database, or on `db` when given (it is
 * closed with the service). Scheduled jobs do not fire unless the test passes `BOT_SCHEDULER: "on"` (with a
 * `now` clock), so no test sees prompts it did not ask for; `POST /api/jobs/:job/run` works regardless.
 */
export async function startTestService(
  env: Record<string, string> = {},
  opts: Pick<StartServiceOptions, "sandbox" | "now"> & { db?: TestDatabase; log?: StartServiceOptions["log"] } = {},
): Promise<TestService> {
  const { db: given, log = silentLog, ...rest } = opts;
  const db = given ?? (await createTestDatabase());
  const config = loadConfig({ ADMIN_TOKEN: TEST_TOKEN, PORT: "0", LOG_LEVEL: "silent", BOT_SCHEDULER: "off", ...env });
  const service = await startService({ config, log, db, ...rest });
  return {
    ...service,
    db,
    api: (path, init = {}) =>
      fetch(service.url + path, {
        ...init,
        headers: { authorization: `Bearer ${TEST_TOKEN}`, ...(init.headers as Record<string, string>) },
      }),
    async close() {
      await service.stop();
      await db.close();
    },
  };
}
