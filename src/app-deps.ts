import type { Config } from "./config.ts";
import type { Database } from "./db/database.ts";
import type { Emulator } from "./dingtalk/emulator/emulator-types.ts";
import type { Outbound } from "./dingtalk/outbound.ts";
import type { StreamState } from "./dingtalk/stream-client.ts";
import type { Calendar } from "./domain/calendar.ts";
import type { Logger } from "./lib/logger.ts";
import type { BusinessClock } from "./sandbox/business-clock.ts";
import type { Scheduler } from "./scheduler/scheduler.ts";

/** What every feature gets: passed in, never imported as a global. */
export interface AppDeps {
  config: Config;
  log: Logger;
  db: Database;
  /** China's business calendar: chinese-days data plus config/holidays-override.json. */
  calendar: Calendar;
  /** The DingTalk app the bot is: the configured one, or in sandbox mode the emulator's. */
  dingtalk: { clientId: string; clientSecret: string; robotCode: string; apiBase: string; oapiBase: string } | null;
  /** Sends to DingTalk through the outbox (src/dingtalk/outbound.ts): the only way flows reach it. */
  outbound: Outbound;
  /** Sandbox mode only: the in-process DingTalk emulator the bot talks to. */
  emulator?: Emulator;
  /** The stream connection's state for /healthz; undefined when there is no DingTalk app to connect to. */
  streamState: () => StreamState | undefined;
  /**
   * Runs scheduled jobs on request (`POST /api/jobs/:job/run`; the sandbox's clock ticks it); set by startService
   * once the scheduler exists.
   */
  scheduler?: Pick<Scheduler, "runNow" | "tick" | "fireTimes">;
  /**
   * The clock for business time (which period a report belongs to, when a period closes, when jobs are due).
   * Real time in production; tests inject one (startService's `now`, or BOT_FAKE_NOW for spawned processes).
   */
  now: () => Date;
  /** Sandbox mode only: the business clock behind `now`, which the guided sandbox moves forward. */
  businessClock?: BusinessClock;
}
