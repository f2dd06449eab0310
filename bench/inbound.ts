/**
 * bench:inbound — 10,000 pushes (chat messages and card clicks) from the emulator over a real WebSocket to the
 * real dingtalk-stream client → parse → dedupe + handler in one transaction → ack (+ reply / card answer).
 * Reports the time from frame sent to ack received as the emulator recorded it (push records), p50/p90/p99/max
 * per kind, and throughput, per engine. The emulator and the simulated people run in a worker thread: DingTalk
 * is not in our process, and sharing the bot's event loop would count its work as ours.
 * Options: --pushes N (default 10000), --clicks-share 0.25, --rate 50 (pushes/s, open loop: a push is sent
 * on schedule whether or not earlier ones were acked), --rate 0 --concurrency 8 (closed loop, as fast as it goes).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import { cardActionSchemas } from "../cards/card-action.ts";
import { openDatabase } from "../src/db/database.ts";
import type { Emulator } from "../src/dingtalk/emulator/emulator-types.ts";
import { startEmulator } from "../src/dingtalk/emulator/start-emulator.ts";
import { createBot } from "../src/dingtalk/inbound/create-bot.ts";
import { createSessionWebhookTransport } from "../src/dingtalk/inbound/session-webhook-transport.ts";
import { startInbound } from "../src/dingtalk/inbound/start-inbound.ts";
import { parseProgressMessage } from "../src/domain/parse-progress.ts";
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
const reps = Array.from({ length: 100 }, (_, i) => `rep${i}`);

/** What the worker measured: frame-to-ack latencies by kind, wall time, pushes that were never acked. */
interface RunResult {
  chat: number[];
  click: number[];
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
  await db.prisma.department.create({ data: { id: "1", name: "销售部" } });
  await db.prisma.staff.createMany({
    data: reps.map((userId) => ({ userId, name: userId, deptId: "1", role: "REP" })),
  });
  const bot = createBot({ db, log, replyTransport: createSessionWebhookTransport() });
  // Thin handlers like the flows will have: parse, one write, a reply / a card answer.
  bot.onText(async (ctx) => {
    const parsed = parseProgressMessage(ctx.event.text);
    await ctx.tx.inboundEvent.create({ data: { key: `effect:${ctx.event.msgId}`, kind: "effect" } });
    await ctx.reply(parsed.kind === "report" ? "已记录" : "没看懂");
  });
  bot.onCardAction("target:", async (ctx) => {
    const action = cardActionSchemas.target.parse(ctx.event.params);
    await ctx.tx.inboundEvent.create({ data: { key: `effect:${ctx.event.messageId}`, kind: "effect" } });
    return { cardData: { cardParamMap: { status: action.action } }, cardUpdateOptions: { updateCardDataByKey: true } };
  });
  const worker = startWorker();
  const url = await nextMessage<string>(worker);
  const inbound = await startInbound({ bot, client: { apiBase: url, ...APP }, log });
  worker.postMessage("go");
  const result = await nextMessage<RunResult>(worker);
  const effects = await db.prisma.inboundEvent.count({ where: { kind: "effect" } });
  const total = result.chat.length + result.click.length;
  const rate = Number(values.rate);
  const load = rate > 0 ? `offered ${rate}/s` : `concurrency ${values.concurrency}`;
  console.log(
    `\n[${engine}] ${total} pushes in ${result.seconds.toFixed(1)} s (${(total / result.seconds).toFixed(0)}/s), ${load}, ${effects} effects`,
  );
  console.log(summary("chat", result.chat));
  console.log(summary("click", result.click));
  console.log(summary("all", [...result.chat, ...result.click]));
  console.log(`not acked: ${result.unacked}`);
  await inbound.stop();
  await worker.terminate();
  await db.close();
}

function startWorker(): Worker {
  // Node 20 does not apply `--import tsx` to a worker's entry module: register tsx inside the worker first.
  const entry = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return new Worker(entry, { eval: true, workerData: { role: "dingtalk" }, argv: process.argv.slice(2) });
}

function nextMessage<T>(worker: Worker): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

/** The worker: the emulator plus the people typing and clicking. */
async function dingtalkWorker(): Promise<void> {
  const staff = {
    departments: [{ dept_id: 1, name: "销售部", parent_id: 0 }],
    users: reps.map((userid) => ({ userid, name: userid, dept_id_list: [1] })),
  };
  const emulator = await startEmulator({ apps: [APP], staff, redeliverAfterMs: null, pingIntervalMs: null });
  await createCards(emulator);
  parentPort!.postMessage(emulator.url);
  await new Promise((resolve) => parentPort!.once("message", resolve));
  const t0 = performance.now();
  await drive(emulator);
  const seconds = (performance.now() - t0) / 1000;
  const pushes = emulator.listPushes();
  const latencies = (topic: string) =>
    pushes.filter((p) => p.topic.includes(topic) && p.ack).map((p) => p.ack!.at - p.deliveries[0]!.at);
  const result: RunResult = {
    chat: latencies("/im/bot/"),
    click: latencies("/card/"),
    seconds,
    unacked: pushes.filter((p) => p.status !== "acked").length,
  };
  parentPort!.postMessage(result);
}

async function drive(emulator: Emulator): Promise<void> {
  const total = Number(values.pushes);
  const clickEvery = Math.max(1, Math.round(1 / Number(values["clicks-share"])));
  const one = async (i: number) => {
    const userId = reps[i % reps.length]!;
    if (i % clickEvery === 0) {
      const params = { action: "dispute", reason: "客户延期", amount: `${(i % 997) + 1}万` };
      await emulator.clickCard(`target:${userId}`, userId, params);
    } else {
      await emulator.waitForAck(emulator.sendText(userId, `本周完成${(i % 90) + 1}万，新客户${i % 5}家`)!, 30_000);
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

async function createCards(emulator: Emulator): Promise<void> {
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

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === "dingtalk") await dingtalkWorker();
else if (values.child) await child();
else await runPerEngine(import.meta.url, process.argv.slice(2));
