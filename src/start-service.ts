import { createServer, type RequestListener, type Server } from "node:http";
import path from "node:path";
import type { AppDeps } from "./app-deps.ts";
import type { Config } from "./config.ts";
import { type Database, openDatabase } from "./db/database.ts";
import { seedDemo } from "./demo/seed-demo.ts";
import { createOutbound } from "./dingtalk/outbound.ts";
import { retentionJob } from "./dingtalk/retention.ts";
import { type DingTalkRuntime, startDingTalk } from "./dingtalk/start-dingtalk.ts";
import { type Calendar, createCalendar } from "./domain/calendar.ts";
import { calendarCoverage } from "./domain/calendar-coverage.ts";
import { localDate } from "./domain/zoned-time.ts";
import { approvalFlow } from "./flows/approval/index.ts";
import { confirmFlow } from "./flows/confirm/index.ts";
import { digestFlow } from "./flows/digest/index.ts";
import { escalationFlow } from "./flows/escalation/index.ts";
import { evaluationFlow } from "./flows/evaluation/index.ts";
import { botHandlers, type FlowFactory } from "./flows/flow.ts";
import { leaveFlow } from "./flows/leave/index.ts";
import { progressFlow } from "./flows/progress/index.ts";
import { createApp, routesOf } from "./http/create-app.ts";
import type { Logger } from "./lib/logger.ts";
import { projectPath } from "./lib/project-root.ts";
import type { StartupPhases } from "./lib/startup-phases.ts";
import { loadHolidayOverrides } from "./load-holiday-overrides.ts";
import { createBusinessClock, SANDBOX_START } from "./sandbox/business-clock.ts";
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
const HOLIDAY_OVERRIDES_FILE = projectPath("config", "holidays-override.json");

export interface RunningService {
  /** http://127.0.0.1:<port> */
  url: string;
  deps: AppDeps;
  /** Every route the service answers (method and path pattern); see routesOf. */
  routes: { method: string; path: string }[];
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
  /** Marks each phase of the start as it ends (main.ts logs them; bench:start reads them). */
  phases?: StartupPhases;
}

/** Opens the database (migrating it), starts HTTP, and returns a handle to stop it all in order. */
export async function startService({
  config,
  log,
  db: given,
  sandbox,
  now,
  phases,
}: StartServiceOptions): Promise<RunningService> {
  const startedAt = new Date();
  const db =
    given ?? (await openDatabase({ url: config.databaseUrl, pgliteDir: path.join(config.dataDir, "pglite"), log }));
  phases?.mark("database");
  const calendar = createCalendar(await loadHolidayOverrides(HOLIDAY_OVERRIDES_FILE));
  const coverage = calendarCoverage(calendar, localDate(now?.() ?? config.fakeNow ?? new Date(), config.timezone));
  if (coverage.warning) log.warn({ calendar: coverage }, coverage.warning);
  phases?.mark("calendar");
  // The emulator is loaded only in sandbox mode: a service with real credentials never loads it.
  const sandboxDingTalk =
    sandbox && config.sandbox
      ? await import("./sandbox/sandbox-dingtalk.ts").then((m) => m.startSandboxDingTalk(log))
      : undefined;
  phases?.mark("emulator");
  const dingtalkApp = sandboxDingTalk?.dingtalk ?? configuredApp(config);
  const demo = sandbox?.demo && sandboxDingTalk ? deferred() : undefined;
  /** The outbox worker and stream connection, started once HTTP listens (below). */
  let dingtalk: DingTalkRuntime | undefined;
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
    ...(demo ? { demoReady: demo.promise } : {}),
    // "connecting" from the start until the stream client exists (it is created once HTTP listens).
    streamState: () =>
      dingtalk
        ? dingtalk.inbound.client.streamState()
        : dingtalkApp
          ? { state: "connecting", since: startedAt }
          : undefined,
    now: businessClock?.now ?? baseClock,
    ...(businessClock ? { businessClock } : {}),
  };
  const flows = FLOWS.map((flow) => flow(deps));
  const scheduler = createScheduler({
    db,
    jobs: [...flows.flatMap((f) => f.jobs), retentionJob],
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
  phases?.mark("app");
  const server = await listen(app.callback(), config.port, config.host);
  phases?.mark("listen");
  // The stream connects and the outbox worker starts once HTTP answers: /healthz says "degraded" (stream
  // "connecting") meanwhile, as it does while the stream reconnects; the admin API needs neither. startService
  // still resolves only once the first connection attempt is over, so "target-bot is up" means everything runs.
  try {
    dingtalk = await startDingTalk(deps, botHandlers(flows));
  } catch (err) {
    await closeServer(server);
    throw err;
  }
  phases?.mark("stream");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  // Seeded once HTTP answers (/healthz is up meanwhile); what shows the demo waits on deps.demoReady.
  // seedInBackground never rejects (a failure is logged): the demo is then whatever was loaded.
  if (demo) void seedInBackground(db, calendar, log).then(demo.resolve);
  const seeding = demo?.promise ?? Promise.resolve();
  // After migrations (openDatabase), in the background: on PGlite the demo seeding holds the one connection, and
  // a long catch-up must not hold back readiness. Claims make a trigger firing meanwhile harmless.
  const caughtUp = config.schedulerEnabled && deps.dingtalk ? startScheduler(scheduler, log) : Promise.resolve([]);
  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    routes: routesOf(app),
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

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
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
