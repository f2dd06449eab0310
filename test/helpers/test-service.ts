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

/** Starts the real service (real HTTP on a random port) on a fresh test database. */
export async function startTestService(
  env: Record<string, string> = {},
  opts: Pick<StartServiceOptions, "sandbox"> = {},
): Promise<TestService> {
  const db = await createTestDatabase();
  const config = loadConfig({ ADMIN_TOKEN: TEST_TOKEN, PORT: "0", LOG_LEVEL: "silent", ...env });
  const service = await startService({ config, log: silentLog, db, ...opts });
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
