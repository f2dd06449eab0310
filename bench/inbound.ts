/**
 * bench:inbound — 10,000 pushes (chat messages and card clicks) from the emulator over a real WebSocket to the
 * real dingtalk-stream client → parse → dedupe + handler in one transaction → ack (+ reply / card answer).
 * Chat messages are progress reports ("本周完成20,001元，新客户2家") from the reps who own targets in the
 * published demo plan, handled by the real progress flow (parse, period target, store, echo through the outbox).
 * Reports the time from frame sent to ack received as the emulator recorded it (push records), p50/p90/p99/max
 * per kind, the time from frame sent to the stored progress_entry (its created_at: when the row was written,
 * the commit follows within the same handler), and throughput, per engine. The
 * emulator and the simulated people run in a worker thread: DingTalk is not in our process, and sharing the
 * bot's event loop would count its work as ours.
 * Options: --pushes N (default 10000), --clicks-share 0.25, --rate 50 (pushes/s, open loop: a push is sent
 * on schedule whether or not earlier ones were acked), --rate 0 --concurrency 8 (closed loop, as fast as it goes).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { cardActionSchemas } from "../cards/card-action.ts";
import { loadConfig } from "../src/config.ts";
import { openDatabase } from "../src/db/database.ts";
import { referenceOrg } from "../src/demo/reference-org.ts";
import { seedDemo } from "../src/demo/seed-demo.ts";
import type { Emulator } from "../src/dingtalk/emulator/emulator-types.ts";
import { startEmulator } from "../src/dingtalk/emulator/start-emulator.ts";
import { createBot } from "../src/dingtalk/inbound/create-bot.ts";
import { createSessionWebhookTransport } from "../src/dingtalk/inbound/session-webhook-transport.ts";
import { startInbound } from "../src/dingtalk/inbound/start-inbound.ts";
import { createOpenApiClient } from "../src/dingtalk/openapi-client.ts";
import { createOutbound } from "../src/dingtalk/outbound.ts";
import { startOutboxWorker } from "../src/dingtalk/outbox/outbox-worker.ts";
import { defaultCalendar } from "../src/domain/calendar.ts";
import { botHandlers } from "../src/flows/flow.ts";
import { progressFlow } from "../src/flows/progress/index.ts";
import { createLogger } from "../src/lib/logger.ts";
import { runPerEngine } from "./bench-util.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean" },
    pushes: { type: "string", default: "10000" },
    "clicks-share": { type: "string", default: "0.25" },
    // Replies to prompts arrive at about the rate prompts go out (≤ 20 QPS fleet-wide, DESIGN §3): 50/s is
    // 2.5× that peak. --rate 0 measures capacity instead.
    rate: { type: "string", default: "50" },
    concurrency: { type: "string", default: "8" },
  },
});
const APP = { clientId: "dingbenchapp0001", clientSecret: "bench-secret" };
/** The handlers' clock: Friday 2026-11-20 16:00 in Shanghai, when the W47 prompt goes out, whatever today is. */
const PROMPT_TIME = new Date("2026-11-20T08:00:00Z");

/** What the worker measured: frame-to-ack latencies by kind, wall time, pushes that were never acked. */
interface RunResult {
  chat: number[];
  click: number[];
  /** Chat pushes: the message's msgId → when its frame was first sent (epoch ms). */
  chatSentAt: Record<string, number>;
  seconds: number;
  unacked: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function summary(label: string, latencies: number[]): string {
  const s = [...latencies].sort((a, b) => a - b);
  const f = (p: number) => `${percentile(s, p)} ms`;
  return `${label.padEnd(6)} n=${String(s.length).padStart(5)}  p50 ${f(50)}  p90 ${f(90)}  p99 ${f(99)}  max ${s.at(-1)} ms`;
}

async function child(): Promise<void> {
  const engine = process.env.BENCH_ENGINE ?? "pglite";
  const log = createLogger("silent");
  const db = await openDatabase({ url: process.env.BENCH_DB_URL, pgliteDir: "memory://", log });
  // The reference company and its 2026 plan, published: every rep who owns a target can report.
  const { planId } = await seedDemo(db, defaultCalendar);
  await db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
  const owners = await db.sql.query<{ user_id: string }>(
    "SELECT DISTINCT owner_user_id AS user_id FROM target WHERE plan_id = $1 AND dimension = 'OWNER' ORDER BY 1",
    [planId],
  );
  const reps = owners.map((o) => o.user_id);
  const worker = startWorker(reps);
  const url = await nextMessage<string>(worker);
  // Replies are outbox rows sent by the worker, as in the service; the reply rate limit is bench:fanout's
  // subject, so it is set out of the way here.
  const outbox = startOutboxWorker({
    db,
    client: createOpenApiClient({ apiBase: url, ...APP, robotCode: APP.clientId }),
    qps: 1000,
    log,
  });
  const bot = createBot({ db, log, replyTransport: createSessionWebhookTransport({ wake: () => outbox.wake() }) });
  const config = loadConfig({ ADMIN_TOKEN: "bench-admin-token-0123456789", LOG_LEVEL: "silent" });
  const outbound = createOutbound({ config, dingtalk: null }); // replies only: no card is sent here
  const deps = { db, config, log, calendar: defaultCalendar, dingtalk: null, outbound, now: () => PROMPT_TIME };
  bot.use(botHandlers([progressFlow({ ...deps, dingtalkStatus: () => "bench" })]));
  bot.onCardAction("target:", async (ctx) => {
    const action = cardActionSchemas.target.parse(ctx.event.params);
    await ctx.tx.inboundEvent.create({ data: { key: `effect:${ctx.event.messageId}`, kind: "effect" } });
    return { cardData: { cardParamMap: { status: action.action } }, cardUpdateOptions: { updateCardDataByKey: true } };
  });
  const inbound = await startInbound({ bot, client: { apiBase: url, ...APP }, log });
  worker.postMessage("go");
  const result = await nextMessage<RunResult>(worker);
  const stored = await storedLatencies(db, result.chatSentAt);
  const effects = await db.prisma.inboundEvent.count({ where: { kind: "effect" } });
  const total = result.chat.length + result.click.length;
  const rate = Number(values.rate);
  const load = rate > 0 ? `offered ${rate}/s` : `concurrency ${values.concurrency}`;
  console.log(
    `\n[${engine}] ${total} pushes in ${result.seconds.toFixed(1)} s (${(total / result.seconds).toFixed(0)}/s), ${load}, ${stored.length} progress entries, ${effects} click effects`,
  );
  console.log(summary("chat", result.chat));
  console.log(summary("click", result.click));
  console.log(summary("all", [...result.chat, ...result.click]));
  console.log(summary("stored", stored));
  console.log(
    `not acked: ${result.unacked}; chat pushes without a stored entry: ${result.chat.length - stored.length}`,
  );
  await inbound.stop();
  await outbox.drain();
  await outbox.stop();
  await worker.terminate();
  await db.close();
}

/** Frame sent → progress_entry.created_at, per chat push that stored one (matched by origin `msg:<msgId>`). */
async function storedLatencies(
  db: Awaited<ReturnType<typeof openDatabase>>,
  sentAt: Record<string, number>,
): Promise<number[]> {
  const rows = await db.sql.query<{ origin: string; at: string }>(
    "SELECT origin, (extract(epoch FROM created_at) * 1000)::float8::text AS at FROM progress_entry WHERE origin LIKE 'msg:%'",
  );
  return rows.flatMap((r) => {
    const sent = sentAt[r.origin.slice(4)];
    return sent === undefined ? [] : [Math.round(Number(r.at) - sent)];
  });
}

function startWorker(reps: string[]): Worker {
  // Node 20 does not apply `--import tsx` to a worker's entry module: register tsx inside the worker first.
  const entry = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return new Worker(entry, { eval: true, workerData: { role: "dingtalk", reps }, argv: process.argv.slice(2) });
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** The worker: the emulator plus the people typing and clicking. */
async function dingtalkWorker(reps: string[]): Promise<void> {
  const org = referenceOrg();
  const staff = {
    departments: org.departments
      .filter((d) => d.parentId !== null)
      .map((d) => ({ dept_id: Number(d.id), name: d.name, parent_id: Number(d.parentId) })),
    users: org.staff.map((s) => ({ userid: s.userId, name: s.name, dept_id_list: [Number(s.deptId)] })),
  };
  const emulator = await startEmulator({ apps: [APP], staff, redeliverAfterMs: null, pingIntervalMs: null });
  await createCards(emulator, reps);
  parentPort!.postMessage(emulator.url);
  await new Promise((resolve) => parentPort!.once("message", resolve));
  const t0 = performance.now();
  await drive(emulator, reps);
  const seconds = (performance.now() - t0) / 1000;
  const pushes = emulator.listPushes();
  const latencies = (topic: string) =>
    pushes.filter((p) => p.topic.includes(topic) && p.ack).map((p) => p.ack!.at - p.deliveries[0]!.at);
  const chatSentAt = Object.fromEntries(
    pushes
      .filter((p) => p.topic.includes("/im/bot/") && p.deliveries[0])
      .map((p) => [String(p.data.msgId), p.deliveries[0]!.at]),
  );
  const result: RunResult = {
    chat: latencies("/im/bot/"),
    click: latencies("/card/"),
    chatSentAt,
    seconds,
    unacked: pushes.filter((p) => p.status !== "acked").length,
  };
  parentPort!.postMessage(result);
}

async function drive(emulator: Emulator, reps: string[]): Promise<void> {
  const total = Number(values.pushes);
  const clickEvery = Math.max(1, Math.round(1 / Number(values["clicks-share"])));
  const one = async (i: number) => {
    const userId = reps[i % reps.length]!;
    if (i % clickEvery === 0) {
      const params = { action: "dispute", reason: "客户延期", amount: `${(i % 997) + 1}万` };
      await emulator.clickCard(`target:${userId}`, userId, params);
    } else {
      // A different figure each time (an unchanged repeat stores nothing), well under 10× a rep's week target.
      const amount = (20_000 + i).toLocaleString("en-US");
      await emulator.waitForAck(emulator.sendText(userId, `本周完成${amount}元，新客户${i % 5}家`)!, 30_000);
    }
  };
  const rate = Number(values.rate);
  if (rate > 0) {
    // Open loop: pushes arrive on a schedule whatever the bot's speed, as DingTalk sends them.
    const t0 = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / rate - performance.now();
      if (due > 0) await sleep(due);
      inFlight.push(one(i));
    }
    await Promise.all(inFlight);
    return;
  }
  let next = 0;
  const loop = async () => {
    for (let i = next++; i < total; i = next++) await one(i);
  };
  await Promise.all(Array.from({ length: Number(values.concurrency) }, loop));
}

async function createCards(emulator: Emulator, reps: string[]): Promise<void> {
  const post = async (path: string, body: unknown, token?: string) => {
    const res = await fetch(`${emulator.url}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...(token ? { "x-acs-dingtalk-access-token": token } : {}) },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path} answered ${res.status}`);
    return (await res.json()) as Record<string, unknown>;
  };
  const { accessToken } = await post("/v1.0/oauth2/accessToken", { appKey: APP.clientId, appSecret: APP.clientSecret });
  for (const userId of reps) {
    await post(
      "/v1.0/card/instances/createAndDeliver",
      {
        cardTemplateId: "bench.schema",
        outTrackId: `target:${userId}`,
        callbackType: "STREAM",
        cardData: { cardParamMap: { status: "pending" } },
        openSpaceId: `dtv1.card//IM_ROBOT.${userId}`,
        imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode: APP.clientId },
        imRobotOpenSpaceModel: { supportForward: false },
      },
      String(accessToken),
    );
  }
}

const role = workerData as { role?: string; reps?: string[] } | undefined;
if (!isMainThread && role?.role === "dingtalk") await dingtalkWorker(role.reps ?? []);
else if (values.child) await child();
else await runPerEngine(import.meta.url, process.argv.slice(2));
