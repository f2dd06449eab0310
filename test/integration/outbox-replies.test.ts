import { afterEach, describe, expect, it, vi } from "vitest";
import type { SqlDatabase } from "../../src/db/sql.ts";
import type { SessionReplyInboxItem } from "../../src/dingtalk/emulator/emulator-types.ts";
import { createApiCardUpdater } from "../../src/dingtalk/inbound/api-card-updater.ts";
import { GENERIC_APOLOGY } from "../../src/dingtalk/inbound/bot-errors.ts";
import { API } from "../../src/dingtalk/openapi-client.ts";
import { enqueue } from "../../src/dingtalk/outbox/enqueue.ts";
import { CLAIM_SQL, claimDue } from "../../src/dingtalk/outbox/outbox-rows.ts";
import { startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";
import { enqueueCards, testClient } from "../helpers/outbox-fixtures.ts";
import { createTestDatabase, silentLog } from "../helpers/test-db.ts";
import { type InboundHarness, recordEffect, startInboundHarness } from "./inbound-harness.ts";

let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Redeliver unacked robot messages quickly, so a dropped ack is redelivered within the test. */
const fastRedelivery = { redeliverAfterMs: 100, maxRedeliveries: 50 };
const SESSION_MS = 90 * 60_000;

/** The session-webhook replies rep1101 got, as text. */
function sessionReplies(): string[] {
  const inbox = h?.emulator.getInbox("rep1101") ?? [];
  return inbox
    .filter((i): i is SessionReplyInboxItem => i.kind === "sessionReply")
    .map((i) => String((i.body.text as { content?: unknown } | undefined)?.content));
}

describe("chat replies are outbox rows of the handler's transaction", () => {
  it("a reply committed with its effects is sent exactly once after the worker crashed before sending it", async () => {
    h = await startInboundHarness({ worker: false });
    let msgId = "";
    h.bot.onText(async (ctx) => {
      msgId ||= ctx.event.msgId;
      await recordEffect(ctx.tx, "report");
      await ctx.reply(`已记录：${ctx.event.text}`);
    });
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!);
    // Acked and committed, nothing sent: the reply is a row, together with the effect.
    expect(await h.effects()).toBe(1);
    const [row] = await h.outbox();
    expect(row).toMatchObject({ idempotencyKey: `reply:${msgId}:0`, kind: "session.reply", status: "PENDING" });
    // A worker claims it and dies before the HTTP call (lease 1 ms, nothing sent).
    expect(await claimDue(h.db.sql, new Map([[API.sessionReply, 10]]), 1)).toHaveLength(1);
    expect(sessionReplies()).toEqual([]);

    const restarted = h.startWorker(); // the restarted process
    await restarted.drain();
    expect(sessionReplies()).toEqual(["已记录：本周完成35万"]);
    expect(await h.outbox()).toMatchObject([{ status: "SENT", attempts: 2 }]);
    // The worker polls on (every 500 ms) and claims whatever is due, oldest first: once it has sent a later
    // reply, a resend of the first would have gone out before it.
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "新客户2家")!);
    await restarted.drain();
    expect(sessionReplies()).toEqual(["已记录：本周完成35万", "已记录：新客户2家"]);
    expect((await h.outbox()).map((r) => [r.status, r.attempts])).toEqual([
      ["SENT", 2],
      ["SENT", 1],
    ]);
  });

  it("a failing handler leaves no reply of its own, only the apology; its redelivery adds none", async () => {
    h = await startInboundHarness({ emulator: fastRedelivery });
    let runs = 0;
    let msgId = "";
    h.bot.onText(async (ctx) => {
      runs++;
      msgId = ctx.event.msgId;
      await recordEffect(ctx.tx, "half-done");
      await ctx.reply("这句不会发出");
      throw new TypeError("handler bug");
    });
    h.emulator.dropAcks(1);
    const push = await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!, 10_000);
    expect(push.deliveries.length).toBeGreaterThanOrEqual(2);
    await h.worker()!.drain();
    expect(runs).toBe(1);
    expect(await h.effects()).toBe(0);
    const rows = await h.outbox();
    expect(rows).toMatchObject([{ idempotencyKey: `reply:${msgId}:error`, status: "SENT" }]);
    expect(sessionReplies()).toEqual([GENERIC_APOLOGY]);
  });

  it("a duplicate push stores and sends one reply", async () => {
    h = await startInboundHarness({ emulator: fastRedelivery });
    h.bot.onText((ctx) => ctx.reply("已记录"));
    h.emulator.dropAcks(1);
    const push = await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!, 10_000);
    expect(push.deliveries.length).toBeGreaterThanOrEqual(2);
    await h.worker()!.drain();
    expect(await h.outbox()).toHaveLength(1);
    expect(sessionReplies()).toEqual(["已记录"]);
  });

  it("a chat reply goes out while a fan-out of cards is still being sent, not after it", async () => {
    h = await startInboundHarness({ worker: false });
    h.bot.onText((ctx) => ctx.reply("已记录"));
    await enqueueCards(h.db, 40);
    // 10 calls a second per API: the 40 cards need at least 3 s. The reply has its own API, limit and place in
    // line, so it does not wait for them.
    const worker = startOutboxWorker({ db: h.db, client: testClient(h.emulator), qps: 10, log: silentLog });
    try {
      await vi.waitFor(() => expect(h?.emulator.listCards().length).toBeGreaterThan(0), { timeout: 10_000 });
      await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!);
      await worker.drain();
    } finally {
      await worker.stop();
    }
    expect(sessionReplies()).toEqual(["已记录"]);
    expect(h.emulator.listCards()).toHaveLength(40);
    // In the emulator's record of arrivals, the reply came before the fan-out's last card, and after its first.
    const order = h.emulator.listRequests().map((r) => r.api);
    const reply = order.indexOf("POST /robot/sendBySession");
    const creates = order.flatMap((api, i) => (api === API.createAndDeliver ? [i] : []));
    expect(creates).toHaveLength(40);
    expect(reply).toBeGreaterThan(creates[0]!);
    expect(reply).toBeLessThan(creates.at(-1)!);
  });

  it("the replies of one chat arrive in the order they were stored, even when claimed together", async () => {
    h = await startInboundHarness({ worker: false });
    h.bot.onText(async (ctx) => {
      for (const n of [1, 2, 3]) await ctx.reply(`${ctx.event.text}-${n}`);
    });
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "a")!);
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "b")!);
    expect(await h.outbox({ status: "PENDING" })).toHaveLength(6);
    await h.startWorker().drain();
    expect(sessionReplies()).toEqual(["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"]);
  });
});

/** The outbox rows of session replies as the claims and marks left them, oldest first. */
async function replyRows() {
  return h!.db.prisma.outboxMessage.findMany({
    where: { kind: "session.reply" },
    orderBy: { id: "asc" },
    select: { idempotencyKey: true, status: true, attempts: true, leaseUntil: true, claimedAt: true },
  });
}

describe("a reply that may go first is handed to the sender, no claim needed (docs/architecture.md)", () => {
  it("each reply is stored claimed and sent by the worker without a single claim statement", async () => {
    h = await startInboundHarness({ worker: false });
    h.bot.onText((ctx) => ctx.reply(`已记录：${ctx.event.text}`));
    let claims = 0;
    const sql: SqlDatabase = {
      ...h.db.sql,
      query: (text, params) => {
        if (text === CLAIM_SQL) claims++;
        return h!.db.sql.query(text, params);
      },
    };
    // Polls once a minute: its first claim at start, then none unless something wakes it.
    h.startWorker({ db: { sql }, pollMs: 60_000 });
    await vi.waitFor(() => expect(claims).toBe(1));
    // One after another, as a person writes: each reply is out (and marked) before the next message comes.
    for (const [i, text] of ["本周完成35万", "新客户2家", "本周完成40万"].entries()) {
      await h.emulator.waitForAck(h.emulator.sendText("rep1101", text)!);
      await vi.waitFor(() => expect(sessionReplies()).toHaveLength(i + 1), { timeout: 10_000 });
      await h.worker()!.drain();
    }
    expect(sessionReplies()).toEqual(["已记录：本周完成35万", "已记录：新客户2家", "已记录：本周完成40万"]);
    expect((await replyRows()).map((r) => [r.status, r.attempts])).toEqual([
      ["SENT", 1],
      ["SENT", 1],
      ["SENT", 1],
    ]);
    expect(claims).toBe(1);
  });

  it("a reply stored behind one handed off goes out as soon as that one is done, not at the next poll", async () => {
    h = await startInboundHarness({ worker: false });
    h.bot.onText(async (ctx) => {
      await ctx.reply("已记录");
      await ctx.reply("本周还差5万");
    });
    h.startWorker({ pollMs: 60_000 });
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!);
    await vi.waitFor(() => expect(sessionReplies()).toEqual(["已记录", "本周还差5万"]), { timeout: 10_000 });
    await h.worker()!.drain();
    expect((await replyRows()).map((r) => [r.status, r.attempts])).toEqual([
      ["SENT", 1],
      ["SENT", 1],
    ]);
  });

  it("another message the handler queued beside its reply goes out at once too: the worker is woken for it", async () => {
    h = await startInboundHarness({ worker: false });
    h.bot.onText(async (ctx) => {
      await ctx.reply("已记录");
      await enqueue(ctx.tx, {
        idempotencyKey: `mgr:${ctx.event.msgId}`,
        kind: "robot.batchSend",
        payload: { userIds: ["mgr110"], msgKey: "sampleText", msgParam: { content: "张伟已填报本周进度" } },
      });
    });
    h.startWorker({ pollMs: 60_000 });
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!);
    await vi.waitFor(() => expect(h?.emulator.getInbox("mgr110")).toHaveLength(1), { timeout: 10_000 });
    expect(sessionReplies()).toEqual(["已记录"]);
  });

  it("a reply stored behind an unsent reply of its chat waits for it, unclaimed, and goes out after it", async () => {
    h = await startInboundHarness({ worker: false });
    h.bot.onText(async (ctx) => {
      for (const n of [1, 2, 3]) await ctx.reply(`${ctx.event.text}-${n}`);
    });
    // The process dies between each commit and its hand-off: the rows stay as stored.
    const worker = h.startWorker({ leaseMs: 1500, pollMs: 100 });
    const handOff = vi.spyOn(worker.handOff, "send").mockImplementation(() => undefined);
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "a")!);
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "b")!);
    expect(handOff).toHaveBeenCalledTimes(1); // "a-1"; b's first reply had a-1 unsent before it
    const stored = await replyRows();
    expect(stored.map((r) => [r.status, r.attempts])).toEqual([
      ["SENDING", 1],
      ["PENDING", 0],
      ["PENDING", 0],
      ["PENDING", 0],
      ["PENDING", 0],
      ["PENDING", 0],
    ]);
    // Its lease ends, the worker claims it as an abandoned row, then the rest in order.
    await vi.waitFor(() => expect(sessionReplies()).toHaveLength(6), { timeout: 10_000 });
    await worker.drain();
    expect(sessionReplies()).toEqual(["a-1", "a-2", "a-3", "b-1", "b-2", "b-3"]);
    const sent = await replyRows();
    expect(sent.map((r) => [r.status, r.attempts])).toEqual([
      ["SENT", 2],
      ["SENT", 1],
      ["SENT", 1],
      ["SENT", 1],
      ["SENT", 1],
      ["SENT", 1],
    ]);
    // Taken over only once the lease it was stored with had ended.
    expect(sent[0]!.claimedAt!.getTime()).toBeGreaterThanOrEqual(stored[0]!.leaseUntil!.getTime());
  });

  it("a reply stored claimed whose sender died is sent once, by the next worker, after its lease", async () => {
    h = await startInboundHarness({ worker: false });
    h.bot.onText((ctx) => ctx.reply("已记录"));
    const first = h.startWorker({ leaseMs: 1500, pollMs: 100 });
    vi.spyOn(first.handOff, "send").mockImplementation(() => undefined);
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!);
    const [stored] = await replyRows();
    expect(stored).toMatchObject({ status: "SENDING", attempts: 1 });
    await h.stopWorker(); // the process is gone; its lease runs on
    expect(sessionReplies()).toEqual([]);

    const restarted = h.startWorker({ leaseMs: 1500, pollMs: 100 });
    await vi.waitFor(() => expect(sessionReplies()).toEqual(["已记录"]), { timeout: 10_000 });
    await restarted.drain();
    const [sent] = await replyRows();
    expect(sent).toMatchObject({ status: "SENT", attempts: 2 });
    expect(sent!.claimedAt!.getTime()).toBeGreaterThanOrEqual(stored!.leaseUntil!.getTime());
    expect(sessionReplies()).toEqual(["已记录"]);
  });
});

describe("session webhook while valid, batchSend after (docs/dingtalk.md §2.1)", () => {
  it("a valid session webhook carries the reply; batchSend is not called", async () => {
    h = await startInboundHarness();
    h.bot.onText((ctx) => ctx.reply("收到"));
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "你好")!);
    await vi.waitFor(() => expect(sessionReplies()).toEqual(["收到"]), { timeout: 10_000 });
    // The reply is in the chat as soon as DingTalk has it; SENT is recorded right after the answer comes back.
    await vi.waitFor(
      async () =>
        expect(await h!.outbox()).toMatchObject([{ kind: "session.reply", api: API.sessionReply, status: "SENT" }]),
      { timeout: 10_000 },
    );
    expect(h.emulator.listRequests(API.batchSend)).toEqual([]);
  });

  it("a webhook that would expire before the send is done: the row becomes its batchSend fallback", async () => {
    // The message's session has 8 s left: less than a claim's lease (OUTBOX_LEASE_MS, 5 s) + 5 s for the clocks,
    // the time within which the claim must expect the send to happen.
    h = await startInboundHarness({ emulator: { now: () => Date.now() - SESSION_MS + 8_000 } });
    h.bot.onText((ctx) => ctx.reply({ title: "进度", markdown: "**已记录**" }));
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "本周完成35万")!);
    await vi.waitFor(() => expect(h?.emulator.getInbox("rep1101")).toHaveLength(1), { timeout: 10_000 });
    expect(h.emulator.getInbox("rep1101")).toMatchObject([
      {
        kind: "robotMessage",
        via: "batchSend",
        msgKey: "sampleMarkdown",
        msgParam: { title: "进度", text: "**已记录**" },
      },
    ]);
    await h.worker()!.drain();
    const [row] = await h.outbox();
    expect(row).toMatchObject({ kind: "robot.batchSend", api: API.batchSend, status: "SENT", attempts: 1 });
    expect(row?.payload).toMatchObject({
      userIds: ["rep1101"],
      conversationId: h.emulator.directConversationId("rep1101"),
      expiredSessionWebhook: expect.stringContaining("/robot/sendBySession"),
    });
  });

  it("an expired group reply has no fallback: the row is DEAD with a clear error", async () => {
    h = await startInboundHarness({ emulator: { now: () => Date.now() - 2 * SESSION_MS } });
    h.bot.onText((ctx) => ctx.reply("收到"));
    const messageId = h.emulator.sendText("rep1101", "@机器人 进度", { conversationType: "2", atBot: true })!;
    await h.emulator.waitForAck(messageId);
    await h.worker()!.drain();
    const [row] = await h.outbox();
    expect(row).toMatchObject({ kind: "session.reply", status: "DEAD", attempts: 1 });
    expect(row?.lastError).toMatch(/session\.expired.*group replies have no fallback/);
    expect(h.emulator.listRequests(API.batchSend)).toEqual([]);
  });
});

describe("card updates through the outbox", () => {
  it("updates stored before the card's create went out wait for it, then go in enqueue order", async () => {
    h = await startInboundHarness({ worker: false });
    const outTrackId = "target:77:v1:rep1101";
    const updater = createApiCardUpdater();
    const update = (key: string, status: string) =>
      h!.db.prisma.$transaction((tx) =>
        updater.enqueue(tx, {
          key,
          outTrackId,
          userId: "rep1101",
          userIdType: 1,
          update: { cardData: { cardParamMap: { status } }, cardUpdateOptions: { updateCardDataByKey: true } },
        }),
      );
    await enqueue(h.db, {
      idempotencyKey: outTrackId,
      kind: "card.createAndDeliver",
      payload: { ...targetCardBody(outTrackId), outTrackId },
    });
    await update("u1", "confirmed");
    await update("u2", "disputed");
    await h.startWorker().drain();
    const card = h.emulator.getCard(outTrackId);
    expect(card?.updates.map((u) => u.source)).toEqual(["api", "api"]);
    expect(card?.publicData.status).toBe("disputed");
    // No update was tried before its card existed (that would have been a param.cardNotExist retry).
    expect((await h.outbox()).map((r) => [r.idempotencyKey, r.attempts])).toEqual([
      [outTrackId, 1],
      ["u1", 1],
      ["u2", 1],
    ]);
  });
});

describe("the claim's indexes (migrations 20261123060000_outbox_order, 20261124010000_outbox_due)", () => {
  it("the claim reads only unfinished rows and checks order with an index probe, not a scan", async () => {
    const db = await createTestDatabase();
    try {
      // A long history of sent rows, then a big fan-out in flight: 3000 creates being sent, an update queued
      // behind each.
      await db.sql.exec(`
        INSERT INTO outbox_message (idempotency_key, kind, api, payload, status)
        SELECT 's' || i, 'card.createAndDeliver', 'x', jsonb_build_object('outTrackId', 'old-' || i), 'SENT'
        FROM generate_series(1, 30000) i;
        INSERT INTO outbox_message (idempotency_key, kind, api, payload, status, lease_until)
        SELECT 'c' || i, 'card.createAndDeliver', 'x', jsonb_build_object('outTrackId', 'card-' || i), 'SENDING',
          now() + interval '1 hour'
        FROM generate_series(1, 3000) i;
        INSERT INTO outbox_message (idempotency_key, kind, api, payload)
        SELECT 'u' || i, 'card.update', 'x', jsonb_build_object('outTrackId', 'card-' || i) FROM generate_series(1, 3000) i;
        ANALYZE outbox_message;`);
      const claim = CLAIM_SQL.replaceAll("$1", "ARRAY['x']").replaceAll("$2", "60000").replaceAll("$3", "ARRAY[20]");
      const rows = await db.sql.query(`EXPLAIN ${claim}`);
      const plan = rows.map((r) => Object.values(r as Record<string, string>)[0]).join("\n");
      expect(plan).toMatch(/Index Scan using outbox_message_order_key_idx on outbox_message e/);
      expect(plan).toMatch(/Index Scan using outbox_message_due_idx on outbox_message m/);
      expect(plan).not.toMatch(/Seq Scan/);
      expect(await claimDue(db.sql, new Map([["x", 20]]), 60_000)).toEqual([]); // every update waits for its card
    } finally {
      await db.close();
    }
  });
});
