import { afterEach, expect, it, vi } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { createApiCardUpdater } from "../../src/dingtalk/inbound/api-card-updater.ts";
import { createBot } from "../../src/dingtalk/inbound/create-bot.ts";
import { createSessionWebhookTransport } from "../../src/dingtalk/inbound/session-webhook-transport.ts";
import type { Inbound } from "../../src/dingtalk/inbound/start-inbound.ts";
import { startInbound } from "../../src/dingtalk/inbound/start-inbound.ts";
import { createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { type OutboxWorker, startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { APP, accessToken, call, startTestEmulator, targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";
import { silentLog } from "../helpers/test-db.ts";
import { openHarnessDatabase } from "./inbound-harness.ts";

let parts:
  | {
      database: Awaited<ReturnType<typeof openHarnessDatabase>>;
      emulator: Emulator;
      inbound: Inbound;
      outbox: OutboxWorker;
    }
  | undefined;
afterEach(async () => {
  await parts?.inbound.stop();
  await parts?.outbox.stop();
  await parts?.emulator.close();
  await parts?.database.close();
  parts = undefined;
});

it("wired as the service does, the outbox worker sends the bot's chat reply and its late card answer", async () => {
  const database = await openHarnessDatabase();
  const { db } = database;
  const emulator = await startTestEmulator();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  // As src/dingtalk/start-dingtalk.ts wires it: outbox transports that wake a worker on the real OpenAPI client.
  const api = createOpenApiClient({ ...APP, robotCode: APP.clientId, apiBase: emulator.url });
  // An idle poll far longer than the test: the replies go out this fast only because the bot wakes the worker.
  const outbox = startOutboxWorker({ db, client: api, qps: 20, log: silentLog, pollMs: 600_000 });
  const bot = createBot({
    db,
    log: silentLog,
    replyTransport: createSessionWebhookTransport({ wake: () => outbox.wake() }),
    cardUpdater: createApiCardUpdater({ wake: () => outbox.wake() }),
  });
  bot.onText((ctx) => ctx.reply({ title: "进度", markdown: `**${ctx.event.text}**` }));
  bot.onCardAction("target:", async () => {
    await gate;
    return { cardData: { cardParamMap: { status: "confirmed" } }, cardUpdateOptions: { updateCardDataByKey: true } };
  });
  const client = { apiBase: emulator.url, ...APP };
  const inbound = await startInbound({ bot, client, log: silentLog, cardDeadlineMs: 100 });
  parts = { database, emulator, inbound, outbox };
  await emulator.waitForAck(emulator.sendText("rep1101", "本周完成35万")!);
  await vi.waitFor(() => expect(emulator.getInbox("rep1101")).toHaveLength(1), { timeout: 10_000 });
  expect(emulator.getInbox("rep1101")[0]).toMatchObject({ kind: "sessionReply", msgtype: "markdown" });

  const token = await accessToken(emulator);
  await call(emulator, "POST", "/v1.0/card/instances/createAndDeliver", { token, body: targetCardBody("target:1") });
  const click = await emulator.clickCard("target:1", "rep1101", { action: "confirm" });
  expect(click).toMatchObject({ status: "applied", response: null });
  release();
  await vi.waitFor(() => expect(emulator.getCard("target:1")?.publicData.status).toBe("confirmed"), {
    timeout: 10_000,
  });
  expect(emulator.listRequests("PUT /v1.0/card/instances")).toHaveLength(1);
});
