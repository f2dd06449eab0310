/**
 * bench:recovery — crash recovery of a card fan-out (issue #17: "crash in the middle of a 300-card fan-out → last
 * card delivered ≤ 15 s after the restart"). N cards (default 300, `--cards N`) are published to the outbox and
 * sent by a worker process started as production starts it (the config's defaults: DINGTALK_QPS 20,
 * OUTBOX_LEASE_MS 5000, DINGTALK_HTTP_TIMEOUT_MS 10000, poll 500 ms) to the DingTalk emulator, which enforces
 * DingTalk's 20 calls per sliding second. The process SIGKILLs itself the moment DingTalk has answered the
 * `--kill-at`th create (default N / 2): a known count, not a time. A new process is started at once on the same
 * database (PostgreSQL: the same database; PGlite, single-process: the same data dir reopened) and sends the rest.
 *
 * Printed per engine: restart → last card delivered (the emulator's stamp of the last create it accepted), split
 * into restart → worker running (process start, database open) and worker running → last card; publish → last
 * card; and beside it the floor — the least time the remaining calls can take from the restart: one call per row
 * not finished at the restart (the rows the dead process held may have reached DingTalk, but only a call tells),
 * at 20 per sliding second counting the dead process's own calls of the last second, where the rows the dead
 * process held cannot go before their lease runs out (read from the database at the restart). Also: cards lost,
 * cards delivered twice (each outTrackId must be in its recipient's chat once), and the repeated creates — rows
 * the dead process had sent but not yet marked SENT are sent again and DingTalk refuses the repeat
 * (400 param.cardAlreadyExist, recorded as sent): at-least-once calls, exactly-once cards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { type EmulatorProcess, spawnEmulatorProcess } from "../src/dingtalk/emulator/spawn-emulator.ts";
import { API, createOpenApiClient } from "../src/dingtalk/openapi-client.ts";
import { enqueueMany } from "../src/dingtalk/outbox/enqueue.ts";
import { startOutboxWorker } from "../src/dingtalk/outbox/outbox-worker.ts";
import { createLogger } from "../src/lib/logger.ts";
import { benchCard, runPerEngine } from "./bench-util.ts";
import { leastTimeAtRate } from "./recovery-floor.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean" },
    worker: { type: "boolean" },
    publish: { type: "boolean" },
    cards: { type: "string", default: "300" },
    "kill-at": { type: "string" },
  },
});
const APP = { clientId: "dingbenchapp", clientSecret: "bench-secret" };
/** DingTalk's limit per app per API (docs/dingtalk.md §8), enforced by the emulator. */
const QPS = 20;
const log = createLogger("silent");
const SELF = fileURLToPath(import.meta.url);

/** The fan-out's recipients: rep0 … rep149, two cards each for 300. */
const RECIPIENTS = 150;

function card(id: string, i: number) {
  return benchCard(id, i, RECIPIENTS, APP.clientId);
}

const say = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);

/**
 * One replica: the outbox worker with the production configuration. With `--publish` it first stores the
 * fan-out (one statement, as a publish does); with `--kill-at K` it SIGKILLs itself when DingTalk has answered
 * its K-th create 200. Without, it reports the leases it finds at the start, then sends until told to stop.
 */
async function worker(): Promise<void> {
  const config = loadConfig({ DINGTALK_QPS: String(QPS) });
  const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: process.env.BENCH_PGLITE_DIR ?? "", log });
  const n = Number(values.cards);
  if (values.publish) {
    const rows = Array.from({ length: n }, (_, i) => {
      const id = `crash-${i}`;
      return { idempotencyKey: id, kind: "card.createAndDeliver" as const, payload: card(id, i) };
    });
    await enqueueMany(db, rows);
    say({ published: Date.now() });
  }
  // Before this worker claims anything: the leases a dead process left stay as it last renewed them.
  const [state] = await db.sql.query<{ unfinished: number; leases: number[] | null }>(
    `SELECT count(*) FILTER (WHERE status IN ('PENDING', 'SENDING'))::int AS unfinished,
       array_agg((extract(epoch FROM lease_until) * 1000)::float8) FILTER (WHERE status = 'SENDING') AS leases
     FROM outbox_message`,
  );
  const killAt = values["kill-at"] === undefined ? undefined : Number(values["kill-at"]);
  let created = 0;
  const counting: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    if (killAt !== undefined && String(input).includes("/card/instances/createAndDeliver") && res.status === 200) {
      if (++created >= killAt) process.kill(process.pid, "SIGKILL"); // the crash: nothing after this line runs
    }
    return res;
  };
  const client = createOpenApiClient({
    apiBase: process.env.BENCH_API_BASE ?? "",
    ...APP,
    robotCode: APP.clientId,
    timeoutMs: config.dingtalk.httpTimeoutMs,
    fetch: counting,
  });
  // As src/dingtalk/start-dingtalk.ts starts it.
  const outbox = startOutboxWorker({
    db,
    client,
    qps: config.dingtalk.qps,
    retryHorizonMs: config.outbox.retryHorizonMs,
    retryBaseMs: config.outbox.retryBaseMs,
    leaseMs: config.outbox.leaseMs,
    log,
  });
  say({ running: Date.now(), ...state, leaseMs: config.outbox.leaseMs });
  process.once("SIGTERM", () => {
    void outbox
      .stop()
      .then(() => db.close())
      .then(() => process.exit(0));
  });
  await outbox.drain();
  say({ drained: Date.now() });
}

interface Replica {
  child: ChildProcess;
  events: Record<string, unknown>[];
  next(key: string): Promise<Record<string, unknown>>;
  exited: Promise<NodeJS.Signals | number | null>;
}

function startReplica(env: Record<string, string>, args: string[]): Replica {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", SELF, "--worker", "--cards", String(values.cards), ...args],
    {
      env: { ...(process.env as Record<string, string>), ...env },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const events: Record<string, unknown>[] = [];
  const waiting: { key: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (!line.startsWith("{")) return;
    const event = JSON.parse(line) as Record<string, unknown>;
    events.push(event);
    for (const w of waiting.filter((x) => x.key in event)) w.resolve(event);
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(signal ?? code)),
  );
  const next = (key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const seen = events.find((e) => key in e);
      if (seen) return resolve(seen);
      waiting.push({ key, resolve });
      void exited.then((how) => reject(new Error(`the worker exited (${how}) before it reported "${key}"`)));
    });
  return { child, events, next, exited };
}

async function child(): Promise<void> {
  const n = Number(values.cards);
  const killAt = Number(values["kill-at"] ?? Math.floor(n / 2));
  if (!(n > 0 && killAt > 0 && killAt < n)) throw new Error(`--kill-at must be between 1 and ${n - 1}`);
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const dir = process.env.BENCH_DB_URL ? undefined : await mkdtemp(path.join(tmpdir(), "bench-recovery-"));
  const em = await spawnEmulatorProcess({ apps: [APP], pingIntervalMs: null, redeliverAfterMs: null, qpsLimit: QPS });
  const env: Record<string, string> = { BENCH_API_BASE: em.url, ...(dir ? { BENCH_PGLITE_DIR: dir } : {}) };
  console.log(`${engine}:`);
  try {
    const first = startReplica(env, ["--publish", "--kill-at", String(killAt)]);
    const published = Number((await first.next("published")).published);
    const death = await first.exited;
    if (death !== "SIGKILL") throw new Error(`the first worker ended with ${death}, not SIGKILL at create ${killAt}`);
    const cardsAtKill = (await em.listCards()).length;
    const creates = await em.listRequests(API.createAndDeliver);
    const restartAt = Date.now();
    const second = startReplica(env, []);
    const before = creates.map((c) => c.at - restartAt);
    const running = await second.next("running");
    await second.next("drained");
    second.child.kill("SIGTERM");
    await second.exited;
    await report(em, { n, killAt, published, restartAt, cardsAtKill, before, running });
  } finally {
    await em.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function report(
  em: EmulatorProcess,
  r: {
    n: number;
    killAt: number;
    published: number;
    restartAt: number;
    cardsAtKill: number;
    before: number[];
    running: Record<string, unknown>;
  },
): Promise<void> {
  const creates = await em.listRequests(API.createAndDeliver);
  const accepted = creates.filter((c) => c.status === 200);
  const lastCard = Math.max(...accepted.map((c) => c.at));
  const counts = await em.cardCreateCounts();
  const lost = r.n - (await em.listCards()).length;
  const statuses: Record<string, number> = {};
  for (const c of creates.filter((c) => c.at >= r.restartAt)) {
    const k = `${c.status ?? 0}${c.errorCode ? ` ${c.errorCode}` : ""}`;
    statuses[k] = (statuses[k] ?? 0) + 1;
  }
  const unfinished = Number(r.running.unfinished);
  // The leases the dead process held at the restart, from the restart (its rows may go only once they end).
  const leftMs = ((r.running.leases as number[] | null) ?? []).map((l) => Number(l) - r.restartAt).filter((l) => l > 0);
  const held = leftMs.length;
  const leaseLeftMs = Math.max(0, ...leftMs);
  // The other unfinished rows may go at once; the dead process's calls of the last second still count.
  const avail = [...Array(unfinished - held).fill(0), ...leftMs];
  const floorMs = leastTimeAtRate(
    avail,
    r.before.filter((t) => t > -1000 && t <= 0),
    QPS,
    1000,
  );
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const figure = lastCard - r.restartAt;
  const startMs = Number(r.running.running) - r.restartAt;
  console.log(
    `  killed at create ${r.killAt} of ${r.n} (${r.cardsAtKill} cards delivered by then); at the restart ${unfinished} rows unfinished, ` +
      `${held} of them held by the dead process, its leases running up to ${s(leaseLeftMs)} s more (OUTBOX_LEASE_MS ${r.running.leaseMs})`,
  );
  console.log(
    `  restart → last card delivered ${s(figure)} s (restart → worker running ${s(startMs)} s, then ${s(figure - startMs)} s),` +
      ` floor ${s(floorMs)} s (${unfinished} calls at ${QPS} per sliding second, the held ones after their lease), ratio ${(figure / floorMs).toFixed(2)};` +
      ` publish → last card ${s(lastCard - r.published)} s`,
  );
  // What the recipients see: each card once in its chat.
  const inChat = new Map<string, number>();
  for (let u = 0; u < Math.min(r.n, RECIPIENTS); u++) {
    for (const item of await em.getInbox(`rep${u}`)) {
      if (item.kind === "card") inChat.set(item.outTrackId, (inChat.get(item.outTrackId) ?? 0) + 1);
    }
  }
  const twice = [...inChat.values()].filter((k) => k > 1).length;
  console.log(
    `  cards lost ${lost}, cards in a chat more than once ${twice} (${inChat.size} distinct cards in the chats),` +
      ` creates repeated ${counts.duplicates} (rows sent but not marked SENT before the kill, refused by DingTalk as param.cardAlreadyExist);` +
      ` answers after the restart ${Object.entries(statuses)
        .map(([k, v]) => `${k}×${v}`)
        .join(", ")}; max creates in a sliding second ${await em.maxRequestsInWindow(API.createAndDeliver, 1000)}`,
  );
}

if (values.worker) await worker();
else if (values.child) await child();
else
  await runPerEngine(import.meta.url, [
    "--cards",
    String(values.cards),
    ...(values["kill-at"] ? ["--kill-at", values["kill-at"]] : []),
  ]);
