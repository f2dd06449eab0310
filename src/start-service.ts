import { createServer, type RequestListener, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AppDeps } from "./app-deps.ts";
import type { Config } from "./config.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { seedDemo } from "./demo/seed-demo.ts";
import { createOutbound } from "./dingtalk/outbound.ts";
import { type DingTalkRuntime, startDingTalk } from "./dingtalk/start-dingtalk.ts";
import { type Calendar, createCalendar } from "./domain/calendar.ts";
import { approvalFlow } from "./flows/approval/index.ts";
import { confirmFlow } from "./flows/confirm/index.ts";
import { digestFlow } from "./flows/digest/index.ts";
import { escalationFlow } from "./flows/escalation/index.ts";
import { evaluationFlow } from "./flows/evaluation/index.ts";
import { botHandlers, type FlowFactory } from "./flows/flow.ts";
import { leaveFlow } from "./flows/leave/index.ts";
import { progressFlow } from "./flows/progress/index.ts";
import { createApp } from "./http/create-app.ts";
import type { Logger } from "./lib/logger.ts";
import { loadHolidayOverrides } from "./load-holiday-overrides.ts";
import { createBusinessClock, SANDBOX_START } from "./sandbox/business-clock.ts";
import { startSandboxDingTalk } from "./sandbox/sandbox-dingtalk.ts";
import type { RunOutcome } from "./scheduler/run-once.ts";
import { createScheduler, type Scheduler } from "./scheduler/scheduler.ts";

/**
 * Every flow of the bot, listed once: their chat intents are tried in this order (then the help fallback), their
 * jobs run in this order at a shared trigger, and their routes and card actions are mounted from here. Leave comes
 * first: it claims no message with a progress figure, and reads 「12.8-12.12请假」 as dates before progress
 * would refuse 12.8 as an amount.
 */
export const FLOWS: FlowFactory[] = [
  leaveFlow,
  approvalFlow,
  progressFlow,
  confirmFlow,
  evaluationFlow,
  escalationFlow,
  digestFlow,
];

/** Next year's holidays, once announced, go here (chinese-days ships data up to the year it was released). */
const HOLIDAY_OVERRIDES_FILE = fileURLToPath(new URL("../config/holidays-override.json", import.meta.url));

export interface RunningService {
  /** http://127.0.0.1:<port> */
  url: string;
  deps: AppDeps;
  /** The outbox worker and stream connection, when there is a DingTalk app (real or sandbox). */
  dingtalk: DingTalkRuntime | undefined;
  /**
   * The flows' scheduled jobs. Started — catch-up of the last 7 days, then daily triggers — when
   * there is a DingTalk app (real or sandbox) and BOT_SCHEDULER is not "off"; `runNow` works either way.
   */
  scheduler: Scheduler;
  /** The runs the start-up catch-up made (empty when the scheduler is off); resolves when it is done. */
  caughtUp: Promise<RunOutcome[]>;
  /** Stops accepting, lets in-flight requests finish, then closes the database. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  config: Config;
  log: Logger;
  /** A database opened by the caller (tests); by default the service opens the configured one. */
  db?: Database;
  /**
   * Sandbox mode (no DingTalk credentials): run the DingTalk emulator in-process, serve /sandbox, and — when
   * `demo` — load the demo company in the background. main.ts turns it on; tests choose.
   */
  sandbox?: { demo: boolean };
  /**
   * The scheduler's clock (tests move time without waiting). Default: BOT_FAKE_NOW when set (a test hook for
   * spawned processes), else the real clock.
   */
  now?: () => Date;
}

/** Opens the database (migrating it), starts HTTP, and returns a handle to stop it all in order. */
export async function startService({
  config,
  log,
  db: given,
  sandbox,
  now,
}: StartServiceOptions): Promise<RunningService> {
  const db =
    given ?? (await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, "pglite"), log }));
  const calendar = createCalendar(await loadHolidayOverrides(HOLIDAY_OVERRIDES_FILE));
  const sandboxDingTalk = sandbox && config.sandbox ? await startSandboxDingTalk(log) : undefined;
  const dingtalkApp = sandboxDingTalk?.dingtalk ?? configuredApp(config);
  const baseClock = now ?? clockFrom(config.fakeNow) ?? (() => new Date());
  // Sandbox mode: a business clock the guided sandbox moves forward. With the demo company and no given clock it
  // starts in the demo plan's 10th week, whatever the date, so the tour shows the same quarter to everyone.
  const businessClock = sandboxDingTalk
    ? createBusinessClock(
        baseClock,
        config.timezone,
        sandbox?.demo && !now && !config.fakeNow ? SANDBOX_START : undefined,
      )
    : undefined;
  const deps: AppDeps = {
    config,
    log,
    db,
    calendar,
    dingtalk: dingtalkApp,
    outbound: createOutbound({ config, dingtalk: dingtalkApp }),
    ...(sandboxDingTalk ? { emulator: sandboxDingTalk.emulator } : {}),
    streamState: () => dingtalk?.inbound.client.streamState(),
    now: businessClock?.now ?? baseClock,
    ...(businessClock ? { businessClock } : {}),
  };
  // Read by streamState above, which /healthz calls only once the service is up.
  const flows = FLOWS.map((flow) => flow(deps));
  const dingtalk = await startDingTalk(deps, botHandlers(flows));
  const scheduler = createScheduler({
    db,
    jobs: flows.flatMap((f) => f.jobs),
    deps,
    calendar,
    timeZone: config.timezone,
    log: log.child({ component: "scheduler" }),
    now: deps.now,
  });
  deps.scheduler = scheduler;
  const app = createApp(
    deps,
    flows.map((f) => f.routes),
  );
  if (config.sandbox && config.hostGiven) {
    log.warn(
      { host: config.host },
      "sandbox mode listening on HOST: whoever reaches this address can act as anyone through /sandbox/api/* (no login); set HOST=127.0.0.1 unless that is what you want",
    );
  }
  const server = await listen(app.callback(), config.port, config.host);
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const seeding = sandbox?.demo && sandboxDingTalk ? seedInBackground(db, calendar, log) : Promise.resolve();
  // After migrations (openDatabase), in the background: on PGlite the demo seeding holds the one connection, and
  // a long catch-up must not hold back readiness. Claims make a trigger firing meanwhile harmless.
  const caughtUp = config.schedulerEnabled && deps.dingtalk ? startScheduler(scheduler, log) : Promise.resolve([]);
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    dingtalk,
    scheduler,
    caughtUp,
    stop: () => {
      stopping ??= (async () => {
        await scheduler.stop(); // no new triggers; runs in flight finish and record their outcome
        await caughtUp;
        await closeServer(server);
        await scheduler.stop(); // a run requested through the API while the server was closing
        await dingtalk?.stop();
        await seeding;
        await sandboxDingTalk?.emulator.close();
        if (!given) await db.close();
      })();
      return stopping;
    },
  };
}

/** Arms the daily triggers and catches up the last 7 days; a failure is logged, never fatal. */
async function startScheduler(scheduler: Scheduler, log: Logger): Promise<RunOutcome[]> {
  try {
    const caught = await scheduler.start();
    log.info({ caughtUp: caught.map((r) => `${r.job} ${r.period}`) }, "scheduler started");
    return caught;
  } catch (err) {
    log.error(
      { err },
      "scheduler catch-up failed; daily triggers are armed, missed runs can be run with POST /api/jobs/:job/run",
    );
    return [];
  }
}

/** BOT_FAKE_NOW (test hook): a clock that starts at `start` and runs on in real time; else the real clock. */
function clockFrom(start: Date | undefined): (() => Date) | undefined {
  if (!start) return undefined;
  const offset = start.getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}

function configuredApp(config: Config): AppDeps["dingtalk"] {
  const { clientId, clientSecret, robotCode, apiBase, oapiBase } = config.dingtalk;
  if (!clientId || !clientSecret) return null;
  return { clientId, clientSecret, robotCode: robotCode ?? clientId, apiBase, oapiBase };
}

/** The demo company takes seconds to build: HTTP is up meanwhile, the sandbox page shows it when ready. */
function seedInBackground(db: Database, calendar: Calendar, log: Logger): Promise<void> {
  const started = performance.now();
  return seedDemo(db, calendar).then(
    ({ planId, created }) =>
      log.info({ planId, created, ms: Math.round(performance.now() - started) }, "sandbox demo company ready"),
    (err) => log.error({ err }, "could not load the sandbox demo company; the sandbox works without it"),
  );
}

function listen(handler: RequestListener, port: number, host: string | undefined): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once("error", reject);
    server.listen(port, host, () => resolve(server));
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
