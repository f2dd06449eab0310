/**
 * bench:fanout — N target cards (default 2000, `--cards N`) through the outbox to the DingTalk emulator, with the
 * outbox worker's production defaults (batch 20, idle poll 500 ms).
 * 1. At the emulator's 20 QPS limit: total time beside the floor and their ratio, throttled (403) answers,
 *    duplicated and lost cards, and the most calls seen in any sliding second. The floor: the first 20 calls may
 *    go at once and each further 20 a second later, so N calls need (N − 20) / 20 s at the least.
 *    `--stall-ms M` blocks the bot's thread M ms every second during this run.
 * 2. With no limit at the emulator and the worker at the highest DINGTALK_QPS the config accepts (1000):
 *    sustained cards/s while a producer enqueues, and p50/p99 enqueue → sent latency.
 * Duplicates are counted by the emulator (create calls per outTrackId): DingTalk answers a repeated create
 * with 400 param.cardAlreadyExist, which the worker records as sent, so the card list cannot show them.
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
import { benchCard, peakRssMb, runPerEngine, timed } from "./bench-util.ts";

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
/** DINGTALK_QPS's upper bound in src/config.ts: "no limit" is the most a deployment can configure. */
const MAX_CONFIG_QPS = 1000;
const log = createLogger("silent");

function card(id: string, i: number) {
  return benchCard(id, i, 150, APP.clientId);
}

async function enqueueCards(db: Database, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const id = `${prefix}-${i}`;
    await enqueue(db, { idempotencyKey: id, kind: "card.createAndDeliver", payload: card(id, i) });
  }
}

/**
 * What the emulator saw of this run: createAndDeliver answers per HTTP status, the create calls that reached
 * the card API (throttled ones did not) per outTrackId, and the cards it holds (N minus them are lost).
 */
async function tally(em: EmulatorProcess, n: number) {
  const statuses: Record<string, number> = {};
  for (const r of await em.listRequests(API.createAndDeliver)) {
    statuses[r.status ?? 0] = (statuses[r.status ?? 0] ?? 0) + 1;
  }
  const creates = await em.cardCreateCounts();
  const lost = n - (await em.listCards()).length;
  const answers = Object.entries(statuses)
    .map(([status, count]) => `${status}×${count}`)
    .join(" ");
  const text =
    `creates seen ${creates.creates}, distinct outTrackIds ${creates.outTrackIds}, duplicate creates ${creates.duplicates}` +
    `${creates.repeated.length ? ` (${creates.repeated.map((r) => `${r.outTrackId}×${r.creates}`).join(", ")})` : ""}, lost ${lost};` +
    ` answers ${answers}`;
  return { statuses, text };
}

async function throttled(db: Database, em: EmulatorProcess, n: number): Promise<void> {
  await em.setQpsLimit(QPS);
  await enqueueCards(db, "limited", n);
  const client = createOpenApiClient({ apiBase: em.url, ...APP, robotCode: APP.clientId });
  const worker = startOutboxWorker({ db, client, qps: QPS, log });
  const stallMs = Number(values["stall-ms"]);
  const stalls = setInterval(() => {
    const end = performance.now() + stallMs;
    while (performance.now() < end); // the thread is busy: no timers, no I/O
  }, 1000);
  if (stallMs === 0) clearInterval(stalls);
  const { seconds } = await timed(() => worker.drain());
  clearInterval(stalls);
  await worker.stop();
  const { statuses, text } = await tally(em, n);
  const floor = Math.max(0, n - QPS) / QPS;
  console.log(
    `  at ${QPS} QPS${stallMs ? ` (thread blocked ${stallMs} ms every second)` : ""}: ${n} cards in ${seconds.toFixed(1)} s,` +
      ` floor (${n} − ${QPS}) / ${QPS} = ${floor.toFixed(1)} s, ratio ${(seconds / floor).toFixed(3)};` +
      ` 403 answers ${statuses[403] ?? 0}; ${text};` +
      ` max calls in a sliding second ${await em.maxRequestsInWindow(API.createAndDeliver, 1000)}`,
  );
}

async function unlimited(db: Database, em: EmulatorProcess, n: number): Promise<void> {
  await em.reset();
  await em.setQpsLimit(null);
  const client = createOpenApiClient({ apiBase: em.url, ...APP, robotCode: APP.clientId });
  const worker = startOutboxWorker({ db, client, qps: MAX_CONFIG_QPS, log });
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
  const { text } = await tally(em, n);
  console.log(
    `  no limit (worker at DINGTALK_QPS ${MAX_CONFIG_QPS}): ${n} cards in ${seconds.toFixed(1)} s = ${(n / seconds).toFixed(0)} cards/s sustained;` +
      ` enqueue→sent p50 ${lat?.p50.toFixed(0)} ms, p99 ${lat?.p99.toFixed(0)} ms; ${text}`,
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
