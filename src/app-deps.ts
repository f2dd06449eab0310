import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import type { Logger } from "./lib/logger.ts";

/** What every feature gets: passed in, never imported as a global (STYLE.md §2–3). */
export interface AppDeps {
  config: Config;
  log: Logger;
  db: Database;
  /** DingTalk link state for /healthz: "sandbox", "connected", "connecting" or "disconnected". */
  dingtalkStatus: () => string;
}
