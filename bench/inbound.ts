/**
 * bench:inbound — pushes (chat messages and card clicks) from the emulator over a real WebSocket to the service
 * as production starts it: startService with DingTalk credentials pointing at the emulator, so the stream
 * client, the registered flows' handlers, the outbox worker and HTTP are the service's own.
 * Before the run the reference company's 2026 plan is published through `POST /api/plans/:id/publish`, and the
 * outbox sends every leaf's target card to the emulator. Then, open loop:
 * - chat: progress reports ("本周完成20,001元，新客户2家") from the card owners, handled by the progress flow
 *   (parse, period target, store, echo through the outbox);
 * - clicks: 确认 on a target card by its owner, handled by the target-card flow: the first tap on a card stores
 *   the acknowledgement and answers the card as 已确认; later taps on it are refused with a message.
 * Reports per engine the time from frame sent to ack received as the emulator recorded it (p50/p90/p99/max per
 * kind), the time from frame sent to the stored progress_entry (its created_at: written inside the handler's
 * transaction, the commit follows), throughput, and the effects counted in the database and on the cards.
 * Then the floor, in the same run: the service stops, a bare stream client that does one INSERT per push and
 * acks takes its place, the same pushes are sent again, and the service's throughput is printed as a ratio to it;
 * then a second floor that also answers each chat push through its sessionWebhook, as the service must.
 * Options: --pushes N (default 10000), --clicks-share 0.25, --rate 50 (pushes/s, open loop: a push is sent
 * on schedule whether or not earlier ones were acked), --rate 0 --concurrency 8 (closed loop, as fast as it goes).
 */
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import type { DWClientDownStream } from "dingtalk-stream";
import { type Database, openDatabase } from "../src/db/database.ts";
import { seedDemo } from "../src/demo/seed-demo.ts";
import { nodeExchange } from "../src/dingtalk/json-exchange.ts";
import { createStreamClient } from "../src/dingtalk/stream-client.ts";
import { CARD_CALLBACK_TOPIC, ROBOT_MESSAGE_TOPIC } from "../src/dingtalk/topics.ts";
import { createLogger } from "../src/lib/logger.ts";
import type { SandboxDingTalk } from "../src/sandbox/sandbox-dingtalk.ts";
import { startService } from "../src/start-service.ts";
import { runPerEngine } from "./bench-util.ts";
import { cpuPerPush, startCpuMeter } from "./cpu-meter.ts";
import { type DbWaits, episodes, installDbWaitMeter } from "./db-waits.ts";
import { ADMIN_TOKEN, benchConfig } from "./inbound-config.ts";
import { type FloorResult, type PeopleOptions, type RunResult, SLOW_MS } from "./inbound-people.ts";
import { overlapping, type Stall, stallSummary, startStallMeter } from "./stall-meter.ts";
import { countStatements, type StatementCounter } from "./statement-counter.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean" },
    pushes: { type: "string", default: "10000" },
    "clicks-share": { type: "string", default: "0.25" },
    // Replies to prompts arrive at about the rate prompts go out (≤ 20 QPS fleet-wide, docs/architecture.md): 50/s is
    // 2.5× that peak. --rate 0 measures capacity instead.
    rate: { type: "string", default: "50" },
    concurrency: { type: "string", default: "8" },
  },
});
/** The handlers' clock: Friday 2026-11-20 16:00 in Shanghai, when the W47 prompt goes out, whatever today is. */
const PROMPT_TIME = new Date("2026-11-20T08:00:00Z");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(label: string, latencies: number[]): string {
  const s = [...latencies].sort((a, b) => a - b);
  const f = (p: number) => `${percentile(s, p)} ms`;
  return `${label.padEnd(7)} n=${String(s.length).padStart(5)}  p50 ${f(50)}  p90 ${f(90)}  p99 ${f(99)}  max ${s.at(-1)} ms`;
}

async function child(): Promise<void> {
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const log = createLogger("silent");
  statements = countStatements();
  const dbMeter = installDbWaitMeter();
  const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: "memory://", log });
  const people = startPeople({
    pushes: Number(values.pushes),
    clicksShare: Number(values["clicks-share"]),
    rate: Number(values.rate),
    concurrency: Number(values.concurrency),
  });
  const app = await nextMessage<SandboxDingTalk["dingtalk"]>(people);
  const service = await startService({ config: benchConfig(app), log, db, now: () => PROMPT_TIME });
  try {
    const { planId } = await seedDemo(db, service.deps.calendar);
    const res = await fetch(`${service.url}/api/plans/${planId}/publish`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const published = await res.text();
    if (!res.ok) throw new Error(`publish answered ${res.status}: ${published}`);
    await service.dingtalk!.outbox.drain();
    // Statements this process sends from the first push until the outbox has sent every reply: handlers, the
    // outbox worker's claims, rate-limit slots and marks (and its idle polls, a few per second; the drain's own
    // checks are left out below). Load-independent, unlike the times.
    const before = statements.count;
    const cpu = await startCpuMeter(db);
    const meter = startStallMeter();
    dbMeter.start();
    people.postMessage("go");
    await nextMessage<"driven">(people);
    const dbWaits = dbMeter.stop();
    const serviceStalls = meter.stop();
    // Late card answers and chat echoes are outbox rows: the cards' final state is read once they are sent.
    const drainChecks = await drainCounting(service.dingtalk!.outbox.drain);
    const used = statements.count - before - drainChecks;
    const cpuUsed = await cpu.stop();
    people.postMessage("drained");
    const result = await nextMessage<RunResult>(people);
    await report(engine, db, result, published, used);
    const total = result.chat.length + result.confirm.length + result.repeat.length;
    console.log(`cpu: ${cpuPerPush(cpuUsed, total)}, from the first push until every reply was sent`);
    stallReport(result, serviceStalls, engine === "postgres" ? dbWaits : undefined);
    await service.stop();
    await floor(engine, db, app, people, result, used, false);
    await floor(engine, db, app, people, result, used, true);
  } finally {
    await service.stop();
    await people.terminate();
    await db.close();
  }
}

let statements: StatementCounter;

/**
 * Why pushes were slow (issue #17: the p99 at 100/s and 200/s). Pauses of 20 ms or more on each thread (GC, a
 * busy loop): on the service's (its loop holds the handlers, the stream client and the outbox) and on the
 * people's (their loop stamps frames and acks). On PostgreSQL also the waits {@link installDbWaitMeter} sees: the
 * pool empty, statements slow. Then how many pushes acked {@link SLOW_MS} ms or more after their frame were in
 * flight during each, and the bursts ("episodes") the slow things came in.
 */
function stallReport(result: RunResult, serviceStalls: Stall[], db: ReturnType<DbWaits["stop"]> | undefined): void {
  const slow = result.slow;
  const during = (stalls: Stall[]) => overlapping(slow, stalls);
  const threads = [...serviceStalls, ...result.stalls];
  console.log(`stalls ≥ 20 ms, service thread: ${stallSummary(serviceStalls)}`);
  console.log(`stalls ≥ 20 ms, people (emulator) thread: ${stallSummary(result.stalls)}`);
  let dbLine = "";
  if (db) {
    const waits = [...db.poolWaits, ...db.slowStatements];
    const max = (xs: Stall[]) => Math.max(0, ...xs.map((x) => x.ms));
    const byText = new Map<string, number>();
    for (const s of db.slowStatements) {
      const key = s.text.slice(0, 40);
      byText.set(key, (byText.get(key) ?? 0) + 1);
    }
    const top = [...byText].sort((a, b) => b[1] - a[1]).slice(0, 4);
    console.log(
      `database waits: pool empty ≥ 10 ms ${db.poolWaits.length} times (max ${max(db.poolWaits)} ms); statements ≥ 20 ms` +
        ` ${db.slowStatements.length} (max ${max(db.slowStatements)} ms; most: ${top.map(([t, n]) => `${n}× "${t}…"`).join(", ")})`,
    );
    const bursts = episodes(waits).filter((e) => e.events >= 10);
    console.log(
      `episodes (≥ 10 database waits, ≤ 100 ms apart): ${bursts.length}, lasting ${bursts.map((e) => `${e.ms} ms`).join(", ")};` +
        ` ${overlapping(
          slow,
          bursts.map((e) => ({ ...e, kind: "episode" })),
        )} slow pushes in flight during one`,
    );
    dbLine = `, a database wait ${during(waits)}, any of these ${during([...threads, ...waits])}`;
  }
  console.log(
    `pushes acked ≥ ${SLOW_MS} ms after their frame: ${slow.length}; in flight during a stall of the service's thread` +
      ` ${during(serviceStalls)}, of the people's ${during(result.stalls)}, of either ${during(threads)}${dbLine}`,
  );
}

/** Runs the outbox's drain and answers how many statements its own checks sent (one count per poll). */
async function drainCounting(drain: () => Promise<void>): Promise<number> {
  let checks = 0;
  const counter = countStatements({ keepTexts: true });
  try {
    await drain();
  } finally {
    checks = counter.take().filter((t) => t.startsWith("SELECT count(*)::int AS n FROM outbox_message")).length;
    counter.stop();
  }
  return checks;
}

async function report(engine: string, db: Database, result: RunResult, published: string, used: number): Promise<void> {
  const stored = await storedLatencies(db, result.chatSentAt);
  const [acks] = await db.sql.query<{ n: string }>("SELECT count(*)::text AS n FROM target_ack");
  const outbox = await db.sql.query<{ kind: string; status: string; n: string }>(
    "SELECT kind, status, count(*)::text AS n FROM outbox_message GROUP BY 1, 2 ORDER BY 1, 2",
  );
  const total = result.chat.length + result.confirm.length + result.repeat.length;
  const load = Number(values.rate) > 0 ? `offered ${values.rate}/s` : `concurrency ${values.concurrency}`;
  console.log(
    `\n[${engine}] publish ${published}; ${total} pushes in ${result.seconds.toFixed(1)} s (${(total / result.seconds).toFixed(0)}/s), ${load}`,
  );
  console.log(summary("chat", result.chat));
  console.log(summary("confirm", result.confirm));
  console.log(summary("repeat", result.repeat));
  console.log(summary("clicks", [...result.confirm, ...result.repeat]));
  console.log(summary("all", [...result.chat, ...result.confirm, ...result.repeat]));
  console.log(summary("stored", stored));
  console.log(summary("shown", result.confirmedAfter));
  console.log(
    `effects: ${stored.length} progress entries for ${result.chat.length} chat pushes; ${acks?.n} target_ack rows and` +
      ` ${result.confirmedCards} of ${result.ownCards} owners' cards showing 已确认 after ${result.firstTaps} first taps` +
      ` (${result.deadlineAcks} clicks acked empty at the bot's 1.5 s deadline, their answer sent by the outbox);` +
      ` pushes not acked in time ${result.unacked} (clicks ${result.clickFailures})`,
  );
  console.log(`outbox: ${outbox.map((r) => `${r.kind} ${r.status} ${r.n}`).join(", ")}`);
  console.log(
    `statements: ${used} sent by the service for ${total} pushes = ${(used / total).toFixed(1)} per push` +
      ` (${engine === "postgres" ? "round trips, BEGIN/COMMIT included" : "statements handed to PGlite"};` +
      " handlers, outbox claims, rate-limit slots, marks, idle polls; not the triggers' statements inside the database)",
  );
}

/**
 * The floors (issue #17 item 1): the most any bot could do on this emulator and database — the SDK's stream
 * client (GatewayDWClient: DWClient with the gateway URL pointed at the emulator) whose handler does one INSERT
 * per push and acks it. The service has stopped; the same people send the same pushes again. Prints the floor's
 * figures and the service's throughput as a share of the floor's (a capacity ratio when run closed loop, --rate 0).
 *
 * `reply`: the same, and after the ack a text reply to each chat push's sessionWebhook (one HTTP call to the
 * emulator, as the service answers every report), not waited for by the ack; the round's CPU is counted until
 * every reply was answered, as the service's is until its outbox has sent every reply. The issue's floor is the
 * bare one; this one shows what the answer every report needs costs on its own.
 */
async function floor(
  engine: string,
  db: Database,
  app: SandboxDingTalk["dingtalk"],
  people: Worker,
  service: RunResult,
  serviceStatements: number,
  reply: boolean,
): Promise<void> {
  const label = reply ? "floor with reply" : "floor";
  const what = reply
    ? "bare dingtalk-stream client, one INSERT + ack + a sessionWebhook reply per chat push"
    : "bare dingtalk-stream client, one INSERT + ack per push";
  await db.sql.query(
    "CREATE TABLE IF NOT EXISTS bench_floor_push (message_id text PRIMARY KEY, topic text NOT NULL, data text NOT NULL)",
  );
  await db.sql.query("TRUNCATE bench_floor_push");
  const client = createStreamClient({ apiBase: app.apiBase, clientId: app.clientId, clientSecret: app.clientSecret });
  const replies: Promise<boolean>[] = [];
  const answer = (data: string): Promise<boolean> => {
    const { sessionWebhook } = JSON.parse(data) as { sessionWebhook: string };
    const body = JSON.stringify({ msgtype: "text", text: { content: "已记录本周进展。" } });
    const headers = { "content-type": "application/json" };
    return nodeExchange(sessionWebhook, { method: "POST", headers, body, signal: AbortSignal.timeout(30_000) })
      .then((r) => r.status === 200 && (JSON.parse(r.text) as { errcode?: number }).errcode === 0)
      .catch(() => false);
  };
  const onPush = (message: DWClientDownStream) => {
    const { messageId, topic } = message.headers;
    db.sql
      .query("INSERT INTO bench_floor_push (message_id, topic, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
        messageId,
        topic,
        message.data,
      ])
      .then(() => {
        client.socketCallBackResponse(messageId, {});
        if (reply && topic === ROBOT_MESSAGE_TOPIC) replies.push(answer(message.data));
      })
      .catch((err) => console.error("floor insert failed", err));
  };
  client.on(ROBOT_MESSAGE_TOPIC, onPush);
  client.on(CARD_CALLBACK_TOPIC, onPush);
  await client.connect();
  try {
    const before = statements.count;
    const cpu = await startCpuMeter(db);
    people.postMessage("floor");
    const f = await nextMessage<FloorResult>(people);
    const answered = (await Promise.all(replies)).filter(Boolean).length;
    const floorStatements = statements.count - before;
    const floorCpu = await cpu.stop();
    const [stored] = await db.sql.query<{ n: string }>("SELECT count(*)::text AS n FROM bench_floor_push");
    const servicePushes = service.chat.length + service.confirm.length + service.repeat.length;
    const serviceRate = servicePushes / service.seconds;
    const floorRate = f.latencies.length / f.seconds;
    const replied = reply ? `, ${answered} of ${replies.length} replies answered errcode 0` : "";
    console.log(
      `[${engine}] ${label} (${what}): ${f.latencies.length} pushes in` +
        ` ${f.seconds.toFixed(1)} s (${floorRate.toFixed(0)}/s), ${stored?.n} rows${replied}; not acked ${f.unacked}, clicks not applied ${f.clickFailures}`,
    );
    console.log(summary(reply ? "floor+r" : "floor", f.latencies));
    console.log(
      `[${engine}] ${label} cpu: ${cpuPerPush(floorCpu, f.latencies.length)} (the emulator's worker included, as in the service's figure)`,
    );
    const perPush = (n: number, pushes: number) => (n / pushes).toFixed(1);
    console.log(
      `[${engine}] statements per push: service ${perPush(serviceStatements, servicePushes)}, ${label}` +
        ` ${perPush(floorStatements, f.latencies.length)} (${floorStatements} for ${f.latencies.length} pushes)`,
    );
    console.log(
      `[${engine}] service ÷ ${label}: ${(serviceRate / floorRate).toFixed(2)} (${serviceRate.toFixed(0)}/s ÷ ${floorRate.toFixed(0)}/s` +
        `${Number(values.rate) > 0 ? `; open loop at ${values.rate}/s: a capacity ratio needs --rate 0` : ""})`,
    );
  } finally {
    client.disconnect();
  }
}

/** Frame sent → progress_entry.created_at, per chat push that stored one (matched by origin `msg:<msgId>`). */
async function storedLatencies(db: Database, sentAt: Record<string, number>): Promise<number[]> {
  const rows = await db.sql.query<{ origin: string; at: string }>(
    "SELECT origin, (extract(epoch FROM created_at) * 1000)::float8::text AS at FROM progress_entry WHERE origin LIKE 'msg:%'",
  );
  return rows.flatMap((r) => {
    const sent = sentAt[r.origin.slice(4)];
    return sent === undefined ? [] : [Math.round(Number(r.at) - sent)];
  });
}

function startPeople(opts: PeopleOptions): Worker {
  // Node 20 does not apply `--import tsx` to a worker's entry module: register tsx inside the worker first.
  const url = new URL("./inbound-people.ts", import.meta.url).href;
  const entry = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(url)}); })`;
  return new Worker(entry, { eval: true, workerData: { role: "people", opts } });
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

if (values.child) await child();
else await runPerEngine(import.meta.url, process.argv.slice(2));
