import { createServer, type RequestListener, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AppDeps } from "./app-deps.ts";
import type { Config } from "./config.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { createCalendar } from "./domain/calendar.ts";
import { createApp } from "./http/create-app.ts";
import { loadHolidayOverrides } from "./lib/holiday-overrides-file.ts";
import type { Logger } from "./lib/logger.ts";

/** Next year's holidays, once announced, go here (chinese-days ships data up to the year it was released). */
const HOLIDAY_OVERRIDES_FILE = fileURLToPath(new URL("../config/holidays-override.json", import.meta.url));

export interface RunningService {
  /** http://127.0.0.1:<port> */
  url: string;
  deps: AppDeps;
  /** Stops accepting, lets in-flight requests finish, then closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  config: Config;
  log: Logger;
  /** A database opened by the caller (tests); by default the service opens the configured one. */
  db?: Database;
}

/** Opens the database (migrating it), starts HTTP, and returns a handle to stop it all in order. */
export async function startService({ config, log, db: given }: StartServiceOptions): Promise<RunningService> {
  const db =
    given ?? (await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, "pglite"), log }));
  const calendar = createCalendar(await loadHolidayOverrides(HOLIDAY_OVERRIDES_FILE));
  const deps: AppDeps = {
    config,
    log,
    db,
    calendar,
    dingtalkStatus: () => (config.sandbox ? "sandbox" : "not-started"),
  };
  const app = createApp(deps);
  const server = await listen(app.callback(), config.port);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    stop: () => {
      stopping ??= (async () => {
        await closeServer(server);
        if (!given) await db.close();
      })();
      return stopping;
    },
  };
}

function listen(handler: RequestListener, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once("error", reject);
    server.listen(port, () => resolve(server));
  });
}

/**
 * server.close() waits for in-flight requests. Keep-alive sockets that are idle now, or become idle when their
 * request ends, are closed as they go, so shutdown does not wait out the keep-alive timeout.
 */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweep);
      resolve();
    });
    server.closeIdleConnections();
  });
}
