import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppDeps } from "../../src/app-deps.ts";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import type { Intent } from "../../src/dingtalk/bot.ts";
import { createApiCardUpdater } from "../../src/dingtalk/inbound/api-card-updater.ts";
import { createBot } from "../../src/dingtalk/inbound/create-bot.ts";
import { createSessionWebhookTransport } from "../../src/dingtalk/inbound/session-webhook-transport.ts";
import { type Inbound, startInbound } from "../../src/dingtalk/inbound/start-inbound.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { createOutbound } from "../../src/dingtalk/outbound.ts";
import { type OutboxWorker, startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { botHandlers, type Flow } from "../../src/flows/flow.ts";
import { progressFlow } from "../../src/flows/progress/index.ts";
import { type SandboxDingTalk, startSandboxDingTalk } from "../../src/sandbox/sandbox-dingtalk.ts";
import { sessionReplies } from "../helpers/chat.ts";
import { silentLog } from "../helpers/test-db.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Chat intents through real parts: the emulator pushes a rep's message over a real WebSocket to the real
 * dingtalk-stream client; the bot carries the progress flow and a second flow whose intent claims the same
 * messages (as 「申请调整目标」 or 「下周休假」 flows might, carelessly written); replies go out through the outbox.
 * A message two flows could claim gets exactly one reply, from the first matching intent in the listed order.
 */

/** Monday 2026-11-23 10:00 in Shanghai: 2026-W48 is open for reports. */
const MONDAY_10 = new Date("2026-11-23T02:00:00Z");
const REP = "r11001";

let svc: TestService;
let sandbox: SandboxDingTalk;
let outbox: OutboxWorker;
const inbounds: Inbound[] = [];
let deps: AppDeps;
const emulator = () => sandbox.emulator;

/** A flow whose one intent claims every message mentioning 完成 — what the progress flow also claims. */
function greedyFlow(handled: string[]): Flow {
  const intent: Intent = {
    name: "greedy.claim",
    match: (ctx) => ctx.event.text.includes("完成"),
    async handle(ctx) {
      handled.push(ctx.event.text);
      await ctx.reply("另一个流程收到了这条消息");
    },
  };
  return { name: "greedy", intents: [intent], help: "· 申请调整目标", cardActions: [], routes: () => {}, jobs: [] };
}

/** Connects a bot with these flows (in this order) to the emulator; the previous one is disconnected. */
async function connect(flows: Flow[]): Promise<void> {
  await inbounds.pop()?.stop();
  const bot = createBot({
    db: svc.db,
    log: silentLog,
    replyTransport: createSessionWebhookTransport({ wake: () => outbox.wake() }),
    cardUpdater: createApiCardUpdater({ wake: () => outbox.wake() }),
  }).use(botHandlers(flows));
  const app = sandbox.dingtalk;
  const client = { apiBase: app.apiBase, clientId: app.clientId, clientSecret: app.clientSecret };
  inbounds.push(await startInbound({ bot, client, log: silentLog }));
}

/**
 * The replies `text` got. All of a message's replies are stored in the transaction that records it as handled,
 * and replies of one chat are sent in the order they were stored: once the message is recorded, a help request
 * sent after it is answered after every reply to it. So the count below is final, not a snapshot.
 */
async function repliesTo(text: string): Promise<string[]> {
  const textsSince = (n: number) =>
    sessionReplies(emulator(), REP)
      .slice(n)
      .map((r) => (r.body as { text?: { content?: string } }).text?.content ?? JSON.stringify(r.body));
  const before = sessionReplies(emulator(), REP).length;
  const messageId = emulator().sendText(REP, text);
  expect(messageId).toBeTruthy();
  const recorded = () => svc.db.prisma.inboundEvent.count({ where: { key: `mid:${messageId}` } });
  await expect.poll(recorded, { timeout: 10_000 }).toBe(1);
  expect(emulator().sendText(REP, "帮助")).toBeTruthy(); // answered by the bot's help intent
  const isHelp = (t: string | undefined) => !!t?.includes("直接回复本期完成情况") && !t.startsWith("没看懂");
  await expect.poll(() => isHelp(textsSince(before).at(-1)), { timeout: 10_000 }).toBe(true);
  return textsSince(before).slice(0, -1);
}

beforeAll(async () => {
  svc = await startTestService({ BOT_SCHEDULER: "off" });
  const { planId } = await seedDemo(svc.db, svc.deps.calendar);
  await svc.db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
  sandbox = await startSandboxDingTalk(silentLog);
  const app = sandbox.dingtalk;
  outbox = startOutboxWorker({ db: svc.db, client: createOpenApiClient(app), qps: 500, log: silentLog, pollMs: 50 });
  const config = { ...svc.deps.config, sandbox: true };
  deps = {
    ...svc.deps,
    dingtalk: app,
    config,
    outbound: createOutbound({ config, dingtalk: app }),
    now: () => MONDAY_10,
  };
}, 120_000);

afterAll(async () => {
  await inbounds.pop()?.stop();
  await outbox?.stop();
  await sandbox?.emulator.close();
  await svc?.close();
});

describe("a chat message goes to one intent", () => {
  it("progress listed first: its report intent answers, the other flow's never runs", async () => {
    const handled: string[] = [];
    await connect([progressFlow(deps), greedyFlow(handled)]);
    const replies = await repliesTo("本周完成3万");
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^已记录：2026-W48 销售额 3万元/);
    expect(handled).toEqual([]);
    const stored = await svc.db.prisma.progressEntry.count({ where: { userId: REP, period: "2026-W48" } });
    expect(stored).toBe(1);
  });

  it("the other flow listed first: it answers alone and nothing is stored", async () => {
    const handled: string[] = [];
    await connect([greedyFlow(handled), progressFlow(deps)]);
    const replies = await repliesTo("本周完成4万");
    expect(replies).toEqual(["另一个流程收到了这条消息"]);
    expect(handled).toEqual(["本周完成4万"]);
    const latest = await svc.db.prisma.progressEntry.findFirst({ where: { userId: REP }, orderBy: { id: "desc" } });
    expect(latest?.amount).toBe(30_000n);
  });

  it("a message no intent claims gets the one fallback: 没看懂 and the help of every flow", async () => {
    const handled: string[] = [];
    await connect([progressFlow(deps), greedyFlow(handled)]);
    const replies = await repliesTo("今天天气不错");
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatch(/^没看懂这条消息。直接回复本期完成情况/);
    expect(replies[0]).toContain("· 申请调整目标");
    expect(handled).toEqual([]);
  });
});
