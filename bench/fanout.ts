/**
 * bench:fanout — N target cards (default 2000, `--cards N`) through the outbox to the DingTalk emulator.
 * 1. At the emulator's 20 QPS limit: total time ÷ the physical floor (N ÷ 20 s), throttled (403) answers,
 *    duplicated and lost cards, and the most calls seen in any sliding second.
 *    `--stall-ms M` blocks the bot's thread M ms every second during this run.
 * 2. With no limit: sustained cards/s while a producer enqueues, and p50/p99 enqueue → sent latency.
 * Once per engine (PGlite, PostgreSQL) via runPerEngine. The emulator runs in a process of its own
 * (src/dingtalk/emulator/main.ts): in the bench's process, the in-process PGlite's event-loop stalls would delay
 * the emulator's clock stamps, which the network to DingTalk does not do.
 */
import { parseArgs } from "node:util";
import { type Database, openDatabase } from "../src/db/database.ts";
import { type EmulatorProcess, spawnEmulatorProcess } from "../src/dingtalk/emulator/spawn-emulator.ts";
import { API, createOpenApiClient } from "../src/dingtalk/openapi-client.ts";
import { enqueue } from "../src/dingtalk/outbox/enqueue.ts";
import { startOutboxWorker } from "../src/dingtalk/outbox/outbox-worker.ts";
import { createLogger } from "../src/lib/logger.ts";
import { peakRssMb, runPerEngine, timed } from "./bench-util.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean" },
    cards: { type: "string", default: "2000" },
    // Blocks the bot's thread this long every second during the 20 QPS run (a GC pause, a big import, PGlite
    // statements): the limiter must keep its pace through stalls.
    "stall-ms": { type: "string", default: "0" },
  },
});
const APP = { clientId: "dingbenchapp", clientSecret: "bench-secret" };
const QPS = 20;
const log = createLogger("silent");

function card(id: string, i: number) {
  const userId = `rep${i % 150}`;
  return {
    cardTemplateId: "target-card.schema",
    outTrackId: id,
    callbackType: "STREAM",
    cardData: { cardParamMap: { title: "2026年度销售目标", amount: String(1_000_000 + i) } },
    openSpaceId: `dtv1.card//IM_ROBOT.${userId}`,
    imRobotOpenSpaceModel: { supportForward: false },
    imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode: APP.clientId },
  };
}

async function enqueueCards(db: Database, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    await enqueue(db, { idempotencyKey: id, kind: "card.createAndDeliver", payload: card(id, i) });
  }
}

/** Cards the emulator holds for this run, and how many createAndDeliver calls it answered per status. */
async function tally(em: EmulatorProcess, n: number) {
  const statuses: Record<string, number> = {};
  for (const r of await em.listRequests(API.createAndDeliver)) {
    statuses[r.status ?? 0] = (statuses[r.status ?? 0] ?? 0) + 1;
  }
  const cards = (await em.listCards()).length;
  return { statuses, lost: n - cards, duplicates: (statuses[200] ?? 0) - cards };
}

async function throttled(db: Database, em: EmulatorProcess, n: number): Promise<void> {
  await em.setQpsLimit(QPS);
  await enqueueCards(db, "limited", n);
  const client = createOpenApiClient({ apiBase: em.url, ...APP, robotCode: APP.clientId });
  const worker = startOutboxWorker({ db, client, qps: QPS, log, pollMs: 20 });
  const stallMs = Number(values["stall-ms"]);
  const stalls = setInterval(() => {
    const end = performance.now() + stallMs;
    while (performance.now() < end); // the thread is busy: no timers, no I/O
  }, 1000);
  if (stallMs === 0) clearInterval(stalls);
  const { seconds } = await timed(() => worker.drain());
  clearInterval(stalls);
  await worker.stop();
  const { statuses, lost, duplicates } = await tally(em, n);
  const floor = n / QPS;
  console.log(
    `  at ${QPS} QPS${stallMs ? ` (thread blocked ${stallMs} ms every second)` : ""}: ${n} cards in ${seconds.toFixed(1)} s = ${(seconds / floor).toFixed(2)} × the floor (${floor} s);` +
      ` 403 answers ${statuses[403] ?? 0}, duplicates ${duplicates}, lost ${lost},` +
      ` max calls in a sliding second ${await em.maxRequestsInWindow(API.createAndDeliver, 1000)}`,
  );
}

async function unlimited(db: Database, em: EmulatorProcess, n: number): Promise<void> {
  await em.reset();
  await em.setQpsLimit(null);
  const client = createOpenApiClient({ apiBase: em.url, ...APP, robotCode: APP.clientId });
  const worker = startOutboxWorker({ db, client, qps: 100_000, log, pollMs: 10, batchSize: 50 });
  const { seconds } = await timed(async () => {
    await enqueueCards(db, "open", n); // the producer runs while the worker sends
    await worker.drain();
  });
  await worker.stop();
  const [lat] = await db.sql.query<{ p50: number; p99: number }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
     FROM (SELECT extract(epoch FROM sent_at - created_at)::float8 * 1000 AS ms
           FROM outbox_message WHERE idempotency_key LIKE 'open-%') t`,
  );
  const { lost, duplicates } = await tally(em, n);
  console.log(
    `  no limit: ${n} cards in ${seconds.toFixed(1)} s = ${(n / seconds).toFixed(0)} cards/s sustained;` +
      ` enqueue→sent p50 ${lat?.p50.toFixed(0)} ms, p99 ${lat?.p99.toFixed(0)} ms; duplicates ${duplicates}, lost ${lost}`,
  );
}

async function child(): Promise<void> {
  const n = Number(values.cards);
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: "memory://", log });
  const em = await spawnEmulatorProcess({ apps: [APP], pingIntervalMs: null, redeliverAfterMs: null });
  console.log(`${engine}:`);
  try {
    await throttled(db, em, n);
    await unlimited(db, em, n);
    console.log(`  peak RSS ${peakRssMb()} MB`);
  } finally {
    await em.stop();
    await db.close();
  }
}

if (values.child) await child();
else await runPerEngine(import.meta.url, ["--cards", String(values.cards), "--stall-ms", String(values["stall-ms"])]);
