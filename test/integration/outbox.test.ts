import { afterEach, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { API, createOpenApiClient } from "../../src/dingtalk/openapi-client.ts";
import { enqueue } from "../../src/dingtalk/outbox/enqueue.ts";
import { listOutbox } from "../../src/dingtalk/outbox/outbox-routes.ts";
import { type OutboxWorker, startOutboxWorker } from "../../src/dingtalk/outbox/outbox-worker.ts";
import { APP, connectClient, startTestEmulator, targetCardBody } from "../fixtures/dingtalk/emulator-app.ts";
import {
  cardId,
  createOutboxTestDatabase,
  deliveries,
  enqueueCards,
  statusCounts,
  testClient,
} from "../helpers/outbox-fixtures.ts";
import { silentLog, type TestDatabase } from "../helpers/test-db.ts";

let db: TestDatabase | undefined;
let emulator: Emulator | undefined;
let worker: OutboxWorker | undefined;
const cleanups: (() => unknown)[] = [];

afterEach(async () => {
  await worker?.stop();
  for (const fn of cleanups.splice(0)) await fn();
  await emulator?.close();
  await db?.close();
  worker = db = emulator = undefined;
});

async function setup() {
  db = await createOutboxTestDatabase();
  emulator = await startTestEmulator();
  return { db, em: emulator };
}

/** A worker with short timings; QPS high enough not to slow the test (the throttle test is separate). */
function start(d: TestDatabase, em: Emulator, maxAttempts = 8) {
  worker = startOutboxWorker({
    db: d,
    client: testClient(em),
    qps: 1000,
    log: silentLog,
    pollMs: 20,
    leaseMs: 10_000,
    retryBaseMs: 20,
    maxAttempts,
  });
  return worker;
}

describe("outbox → DingTalk emulator", () => {
  it("delivers each of N enqueued cards exactly once", async () => {
    const { db, em } = await setup();
    await enqueueCards(db, 60);
    await start(db, em).drain();
    const { cards, inboxCards } = deliveries(em);
    expect(cards).toBe(60);
    expect(inboxCards.size).toBe(60);
    expect([...inboxCards.values()].every((n) => n === 1)).toBe(true);
    expect(statusCounts(em)).toEqual({ 200: 60 });
    expect(await listOutbox(db, { status: "SENT", limit: 1000 })).toHaveLength(60);
  });

  it("treats a duplicate enqueue as a no-op: one row, one card", async () => {
    const { db, em } = await setup();
    const body = targetCardBody("dup-target-1-v1");
    const input = {
      idempotencyKey: "dup-target-1-v1",
      kind: "card.createAndDeliver" as const,
      payload: { ...body, outTrackId: "dup-target-1-v1" },
    };
    expect(await enqueue(db, input)).toBe(true);
    expect(await enqueue(db, input)).toBe(false);
    await start(db, em).drain();
    expect(await enqueue(db, input)).toBe(false); // also after it was sent
    await worker!.drain();
    expect(em.listCards().map((c) => c.outTrackId)).toEqual(["dup-target-1-v1"]);
    expect(statusCounts(em)).toEqual({ 200: 1 });
  });

  it("commits the message with the caller's transaction, and not at all when it rolls back", async () => {
    const { db, em } = await setup();
    const payload = { ...targetCardBody("tx-kept"), outTrackId: "tx-kept" };
    await db.prisma.$transaction(async (tx) => {
      await enqueue(tx, { idempotencyKey: "tx-kept", kind: "card.createAndDeliver", payload });
    });
    await expect(
      db.prisma.$transaction(async (tx) => {
        await enqueue(tx, {
          idempotencyKey: "tx-lost",
          kind: "card.createAndDeliver",
          payload: { ...payload, outTrackId: "tx-lost" },
        });
        throw new Error("handler failed after enqueueing");
      }),
    ).rejects.toThrow("handler failed");
    await start(db, em).drain();
    expect(em.listCards().map((c) => c.outTrackId)).toEqual(["tx-kept"]);
  });

  it("retries injected 5xx answers with backoff, then delivers", async () => {
    const { db, em } = await setup();
    em.fail5xx(API.createAndDeliver, 5);
    await enqueueCards(db, 10, "busy");
    await start(db, em).drain();
    expect(statusCounts(em)).toEqual({ 200: 10, 500: 5 });
    expect(deliveries(em).inboxCards.size).toBe(10);
    const sent = await listOutbox(db, { status: "SENT", limit: 100 });
    expect(sent.reduce((n, r) => n + r.attempts, 0)).toBe(15);
  });

  it("gives up after maxAttempts of 5xx: the row is DEAD with the last error", async () => {
    const { db, em } = await setup();
    em.fail5xx(API.createAndDeliver, 100);
    await enqueueCards(db, 1, "never");
    await start(db, em, 3).drain();
    const [dead] = await listOutbox(db, { status: "DEAD", limit: 10 });
    expect(dead).toMatchObject({ attempts: 3, lastError: expect.stringContaining("system.busy") });
    expect(em.listCards()).toEqual([]);
  });

  it("marks a permanent 400 DEAD at once, with its error (GET /api/outbox is tested in healthz.test.ts)", async () => {
    const { db, em } = await setup();
    await enqueueCards(db, 2, "ok");
    const bad = { ...targetCardBody("bad-space"), outTrackId: "bad-space", openSpaceId: "dtv1.card//NOWHERE.x" };
    await enqueue(db, { idempotencyKey: "bad-space", kind: "card.createAndDeliver", payload: bad });
    await start(db, em).drain();

    expect(await listOutbox(db, { status: "DEAD", limit: 10 })).toEqual([
      expect.objectContaining({
        idempotencyKey: "bad-space",
        status: "DEAD",
        attempts: 1,
        lastError: expect.stringContaining("400 param.openSpaceIdInvalid"),
      }),
    ]);
    expect(deliveries(em).inboxCards.size).toBe(2);
  });

  it("refreshes an access token that expired mid-run, without spending an outbox attempt or the rate limit", async () => {
    const { db, em } = await setup();
    // Whether DingTalk counts a request with an expired token against the app's limit is not documented (the
    // emulator does not: it cannot tell the app), so the worker counts it: the request sent again with a fresh
    // token takes a slot of its own.
    em.setQpsLimit(5);
    await enqueueCards(db, 5, "before");
    worker = startOutboxWorker({ db, client: testClient(em), qps: 5, log: silentLog, pollMs: 20 });
    const w = worker;
    await w.drain();
    em.expireTokens();
    await enqueueCards(db, 5, "after");
    await w.drain();
    expect(deliveries(em).inboxCards.size).toBe(10);
    expect(statusCounts(em)[200]).toBe(10);
    expect(statusCounts(em)[403]).toBeUndefined();
    expect(em.maxRequestsInWindow(API.createAndDeliver, 1000)).toBeLessThanOrEqual(5); // rejected ones included
    // The sends in flight all met the expired token, then shared one refresh.
    const rejected = em.listRequests(API.createAndDeliver).filter((r) => r.status === 400);
    expect(rejected.length).toBeGreaterThanOrEqual(1);
    expect(rejected.every((r) => r.errorCode === "InvalidAuthentication")).toBe(true);
    expect(em.listRequests("POST /v1.0/oauth2/accessToken")).toHaveLength(2);
    const sent = await listOutbox(db, { status: "SENT", limit: 100 });
    expect(sent.every((r) => r.attempts === 1)).toBe(true);
  });

  it("sends a card's create and updates in enqueue order", async () => {
    const { db, em } = await setup();
    const id = "order-target-1-v1";
    await enqueue(db, {
      idempotencyKey: id,
      kind: "card.createAndDeliver",
      payload: { ...targetCardBody(id), outTrackId: id },
    });
    for (const status of ["已确认", "有异议", "已调整"]) {
      const payload = {
        outTrackId: id,
        cardData: { cardParamMap: { status } },
        cardUpdateOptions: { updateCardDataByKey: true },
      };
      await enqueue(db, { idempotencyKey: `${id}-${status}`, kind: "card.update", payload });
    }
    await start(db, em).drain();
    expect(em.getCard(id)?.publicData.status).toBe("已调整");
    expect(em.listRequests("/v1.0/card/instances").map((r) => r.status)).toEqual([200, 200, 200]);
    expect(statusCounts(em)).toEqual({ 200: 1 });
  });

  it("retries, without sending, when no access token can be had", async () => {
    const { db, em } = await setup();
    let failures = 2;
    const client = createOpenApiClient({
      apiBase: em.url,
      ...APP,
      robotCode: APP.clientId,
      fetch: async (url, init) => {
        if (String(url).includes("/oauth2/accessToken") && failures-- > 0) throw new TypeError("fetch failed");
        return fetch(url, init);
      },
    });
    await enqueueCards(db, 1, "tok");
    worker = startOutboxWorker({ db, client, qps: 1000, log: silentLog, pollMs: 20, retryBaseMs: 20 });
    await worker.drain();
    const [row] = await listOutbox(db, { status: "SENT", limit: 1 });
    expect(row?.attempts).toBe(3);
    expect(statusCounts(em)).toEqual({ 200: 1 });
  });

  it("sends card updates, batchSend messages and session-webhook replies", async () => {
    const { db, em } = await setup();
    const replies: string[] = [];
    const stream = await connectClient(em, {
      onRobotMessage: (msg, client) => {
        client.socketCallBackResponse(msg.headers.messageId, null);
        replies.push(JSON.parse(msg.data).sessionWebhook as string);
      },
    });
    cleanups.push(() => stream.client.disconnect());
    em.sendText("rep1102", "本周完成35万");
    await expect.poll(() => replies.length).toBe(1);

    await enqueueCards(db, 1, "upd");
    const update = {
      outTrackId: cardId("upd", 0),
      cardData: { cardParamMap: { status: "已确认" } },
      cardUpdateOptions: { updateCardDataByKey: true },
    };
    await enqueue(db, { idempotencyKey: "upd-1", kind: "card.update", payload: update });
    const text = { userIds: ["rep1101", "rep1103"], msgKey: "sampleText", msgParam: { content: "请填报本周进度" } };
    await enqueue(db, { idempotencyKey: "prompt-w14", kind: "robot.batchSend", payload: text });
    const reply = { msgtype: "text", text: { content: "已记录：本周完成 350,000 元" } };
    await enqueue(db, { idempotencyKey: "reply-1", kind: "session.reply", payload: { url: replies[0]!, body: reply } });
    await start(db, em).drain();

    expect(await listOutbox(db, { status: "SENT", limit: 10 })).toHaveLength(4);
    expect(em.getCard(cardId("upd", 0))?.publicData.status).toBe("已确认");
    expect(em.getInbox("rep1103")).toEqual([expect.objectContaining({ kind: "robotMessage", msgKey: "sampleText" })]);
    expect(em.getInbox("rep1102")).toEqual([expect.objectContaining({ kind: "sessionReply", body: reply })]);
  });
});
