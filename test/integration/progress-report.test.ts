import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgressCard } from "../../cards/progress.ts";
import type { AppDeps } from "../../src/app-deps.ts";
import { seedDemo } from "../../src/demo/seed-demo.ts";
import { createAndDeliverBody } from "../../src/dingtalk/card-delivery-body.ts";
import { cardTemplateId } from "../../src/dingtalk/card-template-id.ts";
import type { CardInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { createApiCardUpdater } from "../../src/dingtalk/inbound/api-card-updater.ts";
import { type Bot, createBot } from "../../src/dingtalk/inbound/create-bot.ts";
import type { CardUpdate } from "../../src/dingtalk/inbound/inbound-types.ts";
import { createSessionWebhookTransport } from "../../src/dingtalk/inbound/session-webhook-transport.ts";
import { type Inbound, startInbound } from "../../src/dingtalk/inbound/start-inbound.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { createOutbound } from "../../src/dingtalk/outbound.ts";
import { enqueue } from "../../src/dingtalk/outbox/enqueue.ts";
import { type OutboxWorker, startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { botHandlers } from "../../src/flows/flow.ts";
import { progressFlow } from "../../src/flows/progress/index.ts";
import { progressCardId } from "../../src/flows/progress/progress-card-id.ts";
import { progressPromptInputs } from "../../src/flows/progress/progress-prompt.ts";
import { type SandboxDingTalk, startSandboxDingTalk } from "../../src/sandbox/sandbox-dingtalk.ts";
import { say as sayTo } from "../helpers/chat.ts";
import { silentLog } from "../helpers/test-db.ts";
import { startTestService, type TestService } from "../helpers/test-service.ts";

/*
 * Progress reported on the prompt card and in chat, through real parts: the emulator pushes frames over a real
 * WebSocket to the real dingtalk-stream client, the bot runs the progress handlers on the test database, and
 * replies and card updates go out through the outbox worker. The handlers get an injected clock, so "Monday
 * 11:59" and "Monday 12:00" are a line apart; the service itself runs without a DingTalk app (HTTP only).
 */

/** Monday 2026-11-23 10:00 in Shanghai: this week is 2026-W48, last week 2026-W47 is evaluated at 12:00. */
const MONDAY_10 = new Date("2026-11-23T02:00:00Z");
const W48 = "2026-W48";
const W47 = "2026-W47";
let clock = MONDAY_10;
const at = (iso: string) => {
  clock = new Date(iso);
};

let svc: TestService;
let sandbox: SandboxDingTalk;
let outbox: OutboxWorker;
let inbound: Inbound;
let bot: Bot;
let deps: AppDeps;
let planId: string;
const emulator = () => sandbox.emulator;

beforeAll(async () => {
  svc = await startTestService({ BOT_SCHEDULER: "off" });
  ({ planId } = await seedDemo(svc.db, svc.deps.calendar));
  await svc.db.sql.query("UPDATE plan SET status = 'PUBLISHED' WHERE id = $1", [planId]);
  sandbox = await startSandboxDingTalk(silentLog);
  const app = sandbox.dingtalk;
  const client = createOpenApiClient(app);
  outbox = startOutboxWorker({ db: svc.db, client, qps: 500, log: silentLog, pollMs: 50 });
  const config = { ...svc.deps.config, sandbox: true };
  deps = { ...svc.deps, dingtalk: app, config, outbound: createOutbound({ config, dingtalk: app }) };
  bot = createBot({
    db: svc.db,
    log: silentLog,
    replyTransport: createSessionWebhookTransport({ wake: () => outbox.wake() }),
    cardUpdater: createApiCardUpdater({ wake: () => outbox.wake() }),
  });
  bot.use(botHandlers([progressFlow({ ...deps, now: () => clock })]));
  inbound = await startInbound({
    bot,
    client: { apiBase: app.apiBase, clientId: app.clientId, clientSecret: app.clientSecret },
    log: silentLog,
  });
}, 120_000);

afterAll(async () => {
  await inbound?.stop();
  await outbox?.stop();
  await sandbox?.emulator.close();
  await svc?.close();
});

/** Sends the person's prompt card for a period the way the weekly-prompt job will: an outbox row. */
async function sendPromptCard(userId: string, period: string): Promise<string> {
  const [prompt] = await progressPromptInputs(svc.db, { planId, period, calendar: deps.calendar, userId });
  const outTrackId = progressCardId(planId, period, userId);
  await enqueue(svc.db, {
    idempotencyKey: outTrackId,
    kind: "card.createAndDeliver",
    payload: createAndDeliverBody({
      templateId: cardTemplateId(deps.config, "progress"),
      outTrackId,
      card: buildProgressCard(prompt!.input, deps.config.timezone),
      userId,
      robotCode: deps.dingtalk!.robotCode,
    }),
  });
  await outbox.drain();
  expect(emulator().getCard(outTrackId)).toBeDefined();
  return outTrackId;
}

/** Types a message and returns the bot's reply text. */
const say = (userId: string, text: string) => sayTo(emulator(), userId, text);

type Params = { action: "report"; amount: string; newCustomers?: string; note?: string };

/** Clicks 提交 with the form; returns the notice shown to the clicker and the card's public data afterwards. */
async function submit(outTrackId: string, userId: string, params: Params) {
  const click = await emulator().clickCard(outTrackId, userId, params, "submit");
  expect(click.status).toBe("applied");
  const response = click.status === "applied" ? click.response : null;
  const notice = JSON.stringify(response).match(/"noticeText":"([^"]*)"/)?.[1] ?? "";
  return { notice, card: emulator().getCard(outTrackId)!.publicData };
}

const entries = (userId: string, period = W48) =>
  svc.db.prisma.progressEntry.findMany({ where: { planId, userId, period }, orderBy: { id: "asc" } });

async function progress(period: string, userId: string) {
  const res = await svc.api(`/api/plans/${planId}/progress?period=${period}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { owners: { userId: string; actual: string | null; reported: boolean }[] };
  return body.owners.find((o) => o.userId === userId)!;
}

describe("reporting on the progress card", () => {
  let card: string;
  beforeAll(async () => {
    at(MONDAY_10.toISOString());
    card = await sendPromptCard("r11001", W48);
  });

  it("the owner submits: stored as a SELF_REPORT, the card says 已提交, the progress endpoint shows it", async () => {
    const { card: data } = await submit(card, "r11001", {
      action: "report",
      amount: "5万",
      newCustomers: "2",
      note: "华润项目",
    });
    expect(data).toMatchObject({ status: "reported" });
    expect(data.statusText).toMatch(/已提交：5万元，新客户 2家（11月23日 10:00）/);
    expect(await entries("r11001")).toMatchObject([
      { amount: 50_000n, newCustomers: 2, note: "华润项目", source: "SELF_REPORT" },
    ]);
    expect(await progress(W48, "r11001")).toMatchObject({ actual: "50000", reported: true });
  });

  it("someone else's click is refused with the reason, and nothing is stored", async () => {
    const { notice, card: data } = await submit(card, "r11002", { action: "report", amount: "1万" });
    expect(notice).toMatch(/这是李娜的进度卡片，只有本人可以填报/);
    expect(data.statusText).toMatch(/5万元/);
    expect(await entries("r11002")).toEqual([]);
    expect(await entries("r11001")).toHaveLength(1);
  });

  it("the same submission again is one effect", async () => {
    const { notice } = await submit(card, "r11001", {
      action: "report",
      amount: "5万",
      newCustomers: "2",
      note: "华润项目",
    });
    expect(notice).toMatch(/已处理/);
    expect(await entries("r11001")).toHaveLength(1);
  });

  it("a correction on the card replaces the figure; history is kept", async () => {
    const { card: data } = await submit(card, "r11001", { action: "report", amount: "三万" });
    expect(data.statusText).toMatch(/已提交：3万元/);
    expect((await entries("r11001")).map((e) => e.amount)).toEqual([50_000n, 30_000n]);
    expect(await progress(W48, "r11001")).toMatchObject({ actual: "30000" });
  });

  it("bad figures are refused with the reason, as in chat", async () => {
    expect((await submit(card, "r11001", { action: "report", amount: "-5万" })).notice).toMatch(/不能是负数/);
    expect((await submit(card, "r11001", { action: "report", amount: "很多" })).notice).toMatch(/没有数字/);
    expect((await submit(card, "r11001", { action: "report", amount: "5万", newCustomers: "1.5" })).notice).toMatch(
      /新客户数请填整数/,
    );
    expect(await entries("r11001")).toHaveLength(2);
  });
});

describe("a chat report settles the prompt card", () => {
  it("本周完成12万 in chat: stored, echoed, and the card for the week says 已提交", async () => {
    at(MONDAY_10.toISOString());
    const card = await sendPromptCard("r11002", W48);
    expect(await say("r11002", "本周完成4万，新客户1家")).toMatch(/已记录：2026-W48 销售额 4万元，新客户 1家/);
    await outbox.drain();
    expect(emulator().getCard(card)!.publicData).toMatchObject({ status: "reported" });
    expect(emulator().getCard(card)!.publicData.statusText).toMatch(/已提交：4万元，新客户 1家/);
    const mine = emulator()
      .getInbox("r11002")
      .find((i): i is CardInboxItem => i.kind === "card" && i.outTrackId === card);
    expect(mine?.privateData).toMatchObject({ canAct: "true" });
  });

  it("without a prompt card, a chat report just stores and echoes", async () => {
    expect(await say("r11003", "本周完成3万")).toMatch(/已记录：2026-W48 销售额 3万元/);
    expect(await entries("r11003")).toMatchObject([{ amount: 30_000n }]);
  });
});

describe("late answers for last week count until it is evaluated (Monday 12:00)", () => {
  it("上周完成3万 on Monday 11:59 is stored for 2026-W47 and the echo names the week", async () => {
    at("2026-11-23T03:59:00Z");
    expect(await say("r11004", "上周完成3万")).toMatch(/已记录：2026-W47（上周） 销售额 3万元/);
    expect(await entries("r11004", W47)).toMatchObject([{ amount: 30_000n }]);
    expect(await entries("r11004", W48)).toEqual([]);
    expect(await progress(W47, "r11004")).toMatchObject({ actual: "30000", reported: true });
  });

  it("at Monday 12:00 it is refused, naming the week and when it closed; nothing is stored", async () => {
    at("2026-11-23T04:00:00Z");
    expect(await say("r11004", "上周完成2.8万")).toMatch(/2026-W47（上周）已于 11月23日 12:00 评估，不再接受填报/);
    expect(await entries("r11004", W47)).toHaveLength(1);
    expect(await progress(W47, "r11004")).toMatchObject({ actual: "30000" });
  });

  it("last week's card takes a report before 12:00 and refuses one after", async () => {
    at("2026-11-23T03:00:00Z");
    const card = await sendPromptCard("r11005", W47);
    expect((await submit(card, "r11005", { action: "report", amount: "2万" })).card).toMatchObject({
      status: "reported",
    });
    at("2026-11-23T04:00:01Z");
    const late = await submit(card, "r11005", { action: "report", amount: "2.5万" });
    expect(late.notice).toMatch(/2026-W47（上周）已于 11月23日 12:00 评估/);
    expect((await entries("r11005", W47)).map((e) => e.amount)).toEqual([20_000n]);
  });
});

describe("an absurd figure is stored only once confirmed", () => {
  it("chat: 35亿 asks for confirmation and stores nothing; 确认 stores it", async () => {
    at("2026-11-24T02:00:00Z");
    const ask = await say("r11006", "本周完成35亿");
    expect(ask).toMatch(/销售额 35亿元 是本周目标 .+ 的 [\d,]+ 倍，确认无误请回复“确认”，否则直接发送正确数字。/);
    expect(await entries("r11006")).toEqual([]);
    at("2026-11-24T02:10:00Z");
    expect(await say("r11006", "确认")).toMatch(/已确认并记录：2026-W48 销售额 35亿元/);
    expect(await entries("r11006")).toMatchObject([{ amount: 3_500_000_000n }]);
    expect(await svc.db.prisma.progressPending.count({ where: { userId: "r11006" } })).toBe(0);
    expect(await progress(W48, "r11006")).toMatchObject({ actual: "3500000000" });
  });

  it("chat: a new figure replaces the one waiting; 确认 afterwards confirms nothing", async () => {
    expect(await say("r11007", "本周完成35亿")).toMatch(/确认无误请回复/);
    expect(await say("r11007", "本周完成2万")).toMatch(/已记录：2026-W48 销售额 2万元/);
    expect(await say("r11007", "对")).toMatch(/没看懂/);
    expect((await entries("r11007")).map((e) => e.amount)).toEqual([20_000n]);
  });

  it("chat: after 30 minutes 确认 is told it expired and nothing is stored", async () => {
    at("2026-11-24T02:00:00Z");
    expect(await say("r11008", "本周完成35亿")).toMatch(/确认无误请回复/);
    at("2026-11-24T02:31:00Z");
    expect(await say("r11008", "是的")).toMatch(/已超过30分钟，没有记录/);
    expect(await entries("r11008")).toEqual([]);
  });

  it("card: 35亿 asks to submit again; the same figure submitted again stores it", async () => {
    at("2026-11-24T03:00:00Z");
    const card = await sendPromptCard("r11009", W48);
    const first = await submit(card, "r11009", { action: "report", amount: "35亿" });
    expect(first.notice).toMatch(/35亿元 是本周目标 .+ 倍，尚未记录。确认无误请在30分钟内再次提交相同数字/);
    expect(first.card).toMatchObject({ status: "pending" });
    expect(await entries("r11009")).toEqual([]);
    // A double tap (the same params a moment later) is not a confirmation: it only repeats the question.
    at("2026-11-24T03:00:01Z");
    expect((await submit(card, "r11009", { action: "report", amount: "35亿" })).notice).toMatch(/再次提交相同数字/);
    expect(await entries("r11009")).toEqual([]);
    at("2026-11-24T03:01:00Z");
    const second = await submit(card, "r11009", { action: "report", amount: "35亿" });
    expect(second.card).toMatchObject({ status: "reported" });
    expect(second.card.statusText).toMatch(/已提交：35亿元/);
    expect(await entries("r11009")).toMatchObject([{ amount: 3_500_000_000n }]);
    const third = await submit(card, "r11009", { action: "report", amount: "35亿" });
    expect(third.notice).toMatch(/已处理/);
    expect(await entries("r11009")).toHaveLength(1);
  });

  it("card: a redelivery of the first 35亿 click (same messageId, minutes later) is a duplicate, not the confirmation", async () => {
    at("2026-11-24T04:00:00Z");
    const card = await sendPromptCard("r11010", W48);
    const event = {
      kind: "card" as const,
      messageId: "redelivered-push-1",
      outTrackId: card,
      userId: "r11010",
      userIdType: 1,
      actionIds: ["submit"],
      params: { action: "report", amount: "35亿" },
    };
    const answers: CardUpdate[] = [];
    const responder = {
      respond: (u: CardUpdate) => answers.push(u) > 0,
      answered: () => false,
    };
    await bot.handleCardAction(event, responder);
    expect(JSON.stringify(answers[0])).toMatch(/再次提交相同数字/);
    at("2026-11-24T04:02:00Z"); // well past the double-tap window: a new click now would confirm
    await bot.handleCardAction(event, responder);
    expect(JSON.stringify(answers[1])).toMatch(/已处理/);
    expect(await entries("r11010")).toEqual([]);
    // A new click with the same figure is the confirmation.
    await bot.handleCardAction({ ...event, messageId: "new-click-2" }, responder);
    expect(await entries("r11010")).toMatchObject([{ amount: 3_500_000_000n }]);
  });
});
