import { randomUUID } from "node:crypto";
import pg from "pg";
import { pino } from "pino";
import { type Database, openDatabase, type Tx } from "../../src/db/database.ts";
import type { Emulator, EmulatorOptions } from "../../src/dingtalk/emulator/emulator-types.ts";
import { createApiCardUpdater } from "../../src/dingtalk/inbound/api-card-updater.ts";
import { type Bot, createBot } from "../../src/dingtalk/inbound/create-bot.ts";
import { createSessionWebhookTransport } from "../../src/dingtalk/inbound/session-webhook-transport.ts";
import { type Inbound, startInbound } from "../../src/dingtalk/inbound/start-inbound.ts";
import { listOutbox, type OutboxListItem, type OutboxStatus } from "../../src/dingtalk/outbox/outbox-routes.ts";
import {
  type OutboxWorker,
  type OutboxWorkerOptions,
  startOutboxWorker,
} from "../../src/dingtalk/outbox/outbox-worker.ts";
import type { Logger } from "../../src/lib/logger.ts";
import { APP, accessToken, call, startTestEmulator, targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";
import { testClient } from "../helpers/outbox-fixtures.ts";
import { createServerDatabase, createTestDatabase, serverUrl, silentLog } from "../helpers/test-db.ts";

/** A log line as pino wrote it. */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * Database + emulator + bot + the real stream client + the real outbox worker sending the bot's replies and
 * card updates, wired like the service does (src/dingtalk/start-dingtalk.ts).
 */
export interface InboundHarness {
  db: Database;
  emulator: Emulator;
  bot: Bot;
  inbound: Inbound;
  logs: LogLine[];
  /** The running outbox worker; null when started with `worker: false` or after `stopWorker()`. */
  worker(): OutboxWorker | null;
  /**
   * Starts a new outbox worker (as a restarted process would), replacing none: stop the old one first. `options`
   * override the harness's (database, lease, poll period…).
   */
  startWorker(options?: Partial<OutboxWorkerOptions>): OutboxWorker;
  stopWorker(): Promise<void>;
  /** Outbox rows, oldest first; `kind` / `status` narrow them. */
  outbox(filter?: { kind?: string; status?: OutboxStatus }): Promise<OutboxListItem[]>;
  /** Creates and delivers a STREAM card to `userId` in the emulator. */
  createCard(outTrackId: string, userId?: string): Promise<void>;
  /** Another service replica: its own bot and stream connection, the same database and emulator. */
  startReplica(register: (bot: Bot) => void): Promise<Inbound>;
  /** Rows written by {@link recordEffect} that committed. */
  effects(): Promise<number>;
  close(): Promise<void>;
}

/** A handler side effect in the handler's transaction: one row per run, gone if the transaction rolls back. */
export async function recordEffect(tx: Tx, label: string): Promise<void> {
  await tx.inboundEvent.create({ data: { key: `effect:${label}:${randomUUID()}`, kind: "effect" } });
}

async function seedStaff(db: Database): Promise<void> {
  await db.prisma.department.create({ data: { id: "110", name: "华东大区" } });
  await db.prisma.staff.createMany({
    data: [
      { userId: "mgr110", name: "李经理", deptId: "110", role: "MANAGER" },
      { userId: "rep1101", name: "张伟", deptId: "110", role: "REP", managerUserId: "mgr110" },
    ],
  });
}

/**
 * createTestDatabase's close() drops the server database right after ending the pool, and pg's pool.end()
 * does not wait for sockets to close: DROP … WITH (FORCE) then kills connections still closing and their
 * FATAL 57P01 surfaces as an unhandled error (seen after the rotation test, which opens the whole pool).
 * Here the drop waits until the server shows no session on the database.
 */
export async function openHarnessDatabase(): Promise<{ db: Database; close(): Promise<void> }> {
  if (!serverUrl) {
    const db = await createTestDatabase();
    return { db, close: () => db.close() };
  }
  const { url, drop } = await createServerDatabase(serverUrl);
  const db = await openDatabase({ url, pgliteDir: "", log: silentLog });
  return {
    db,
    async close() {
      await db.close();
      await untilNoSessions(serverUrl!, new URL(url).pathname.slice(1));
      await drop();
    },
  };
}

async function untilNoSessions(adminUrl: string, database: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    for (let i = 0; i < 500; i++) {
      const { rows } = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [
        database,
      ]);
      if ((rows[0] as { n: number }).n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await admin.end();
  }
}

function captureLogger(lines: LogLine[]): Logger {
  return pino({ level: "debug" }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
}

export async function startInboundHarness(
  opts: {
    emulator?: Partial<EmulatorOptions>;
    cardDeadlineMs?: number;
    /** false: no outbox worker yet (rows stay PENDING until `startWorker()`). Default true. */
    worker?: boolean;
  } = {},
): Promise<InboundHarness> {
  const database = await openHarnessDatabase();
  const { db } = database;
  await seedStaff(db);
  const emulator = await startTestEmulator(opts.emulator);
  const logs: LogLine[] = [];
  const log = captureLogger(logs);
  const token = await accessToken(emulator);
  let worker: OutboxWorker | null = null;
  const startWorker = (options: Partial<OutboxWorkerOptions> = {}) => {
    worker = startOutboxWorker({ db, client: testClient(emulator), qps: 500, log, pollMs: 200, ...options });
    return worker;
  };
  const stopWorker = async () => {
    await worker?.stop();
    worker = null;
  };
  if (opts.worker !== false) startWorker();
  // As the service does: stored in the handler's transaction, the worker woken after the commit (or the rows
  // stored claimed by it handed to it).
  const wake = () => worker?.wake();
  const replicas: Inbound[] = [];
  const start = (bot: Bot) =>
    startInbound({
      bot,
      client: { apiBase: emulator.url, ...APP },
      log,
      ...(opts.cardDeadlineMs === undefined ? {} : { cardDeadlineMs: opts.cardDeadlineMs }),
    });
  const replyTransport = createSessionWebhookTransport({ wake, handOff: () => worker?.handOff });
  const cardUpdater = createApiCardUpdater({ wake });
  const newBot = () => createBot({ db, log, replyTransport, cardUpdater });
  const bot = newBot();
  const inbound = await start(bot);
  return {
    db,
    emulator,
    bot,
    inbound,
    logs,
    worker: () => worker,
    startWorker,
    stopWorker,
    async outbox(filter = {}) {
      const rows = await listOutbox(db, { limit: 1000, ...(filter.status ? { status: filter.status } : {}) });
      return rows.filter((r) => !filter.kind || r.kind === filter.kind).reverse();
    },
    async createCard(outTrackId, userId = "rep1101") {
      const res = await call(emulator, "POST", "/v1.0/card/instances/createAndDeliver", {
        token,
        body: targetCardBody(outTrackId, userId),
      });
      if (res.status !== 200) throw new Error(`createAndDeliver answered ${res.status}`);
    },
    async startReplica(register) {
      const other = newBot();
      register(other);
      const replica = await start(other);
      replicas.push(replica);
      return replica;
    },
    effects: () => db.prisma.inboundEvent.count({ where: { kind: "effect" } }),
    async close() {
      await Promise.all([inbound, ...replicas].map((i) => i.stop()));
      await stopWorker();
      await emulator.close();
      await database.close();
    },
  };
}
