import { connect as connectTcp } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { WebSocket } from "ws";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { maxInWindow } from "../../src/dingtalk/emulator/request-log.ts";
import { createStreamClient, type GatewayDWClient } from "../../src/dingtalk/stream-client.ts";
import { ROBOT_MESSAGE_TOPIC } from "../../src/dingtalk/topics.ts";
import { APP, call, connectClient, startTestEmulator } from "../fixtures/dingtalk/emulator-app.ts";
import { robotTextFrame } from "../fixtures/dingtalk/frames.ts";

let emulator: Emulator | undefined;
const clients: GatewayDWClient[] = [];
const sockets: WebSocket[] = [];

async function setup(opts: Parameters<typeof startTestEmulator>[0] = {}) {
  emulator = await startTestEmulator(opts);
  return emulator;
}

async function client(em: Emulator, handlers: Parameters<typeof connectClient>[1] = {}) {
  const c = await connectClient(em, handlers);
  clients.push(c.client);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const s of sockets.splice(0)) s.terminate();
  await emulator?.close();
  emulator = undefined;
});

/** Resolves with 101 when the WebSocket opens, or the HTTP status the handshake was refused with. */
function handshake(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets.push(ws);
    ws.on("open", () => resolve(101));
    ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    ws.on("error", reject);
  });
}

async function gatewayTicket(em: Emulator, subscriptions: unknown[] = [{ type: "EVENT", topic: "*" }]) {
  const { body } = await call(em, "POST", "/v1.0/gateway/connections/open", {
    body: { ...APP, subscriptions },
  });
  return body as { endpoint: string; ticket: string };
}

describe("stream gateway (docs/dingtalk.md §1.1, §1.2)", () => {
  it("answers JSON without Accept, accepts SYSTEM subscriptions and unknown fields, endpoint has no '?'", async () => {
    const em = await setup();
    const res = await fetch(`${em.url}/v1.0/gateway/connections/open`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        ...APP,
        ua: "dingtalk-sdk-go/v0.9.1",
        localIp: "10.0.0.5,10.0.0.6",
        extras: { foo: "bar" },
        subscriptions: [
          { type: "EVENT", topic: "*" },
          { type: "SYSTEM", topic: "ping" },
          { type: "SYSTEM", topic: "disconnect" },
          { type: "CALLBACK", topic: ROBOT_MESSAGE_TOPIC },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { endpoint: string; ticket: string };
    expect(body.endpoint).toBe(`ws://127.0.0.1:${em.port}/connect`);
    expect(body.ticket).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses wrong credentials and missing subscriptions", async () => {
    const em = await setup();
    const wrong = await call(em, "POST", "/v1.0/gateway/connections/open", {
      body: { clientId: APP.clientId, clientSecret: "nope", subscriptions: [{ type: "EVENT", topic: "*" }] },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe("invalidClientIdOrSecret");
    const none = await call(em, "POST", "/v1.0/gateway/connections/open", { body: { ...APP } });
    expect(none.status).toBe(400);
  });

  it("rejects unknown, used and expired tickets at the handshake", async () => {
    const em = await setup();
    const ws = `ws://127.0.0.1:${em.port}`;
    expect(await handshake(`${ws}/connect?ticket=not-a-ticket`)).toBe(401);
    expect(await handshake(`${ws}/connect`)).toBe(401);
    expect(await handshake(`${ws}/elsewhere`)).toBe(404);

    const { endpoint, ticket } = await gatewayTicket(em);
    expect(await handshake(`${endpoint}?ticket=${ticket}`)).toBe(101);
    expect(await handshake(`${endpoint}?ticket=${ticket}`)).toBe(401); // single use

    const stale = await gatewayTicket(em);
    em.advanceClock(90_000);
    expect(await handshake(`${stale.endpoint}?ticket=${stale.ticket}`)).toBe(401);
  });

  it("answers WebSocket control pings", async () => {
    const em = await setup();
    const { endpoint, ticket } = await gatewayTicket(em);
    const ws = new WebSocket(`${endpoint}?ticket=${ticket}`);
    sockets.push(ws);
    await new Promise((resolve) => ws.once("open", resolve));
    const pong = new Promise<string>((resolve) => ws.once("pong", (data) => resolve(String(data))));
    ws.ping("hello");
    expect(await pong).toBe("hello");
  });
});

describe("robot messages over the real DWClient (docs/dingtalk.md §1.3, §2)", () => {
  it("delivers a 1:1 text in the exact envelope, takes the ack, and shows the webhook reply in the inbox", async () => {
    const em = await setup();
    const { robotMessages } = await client(em, {
      onRobotMessage: (msg, c) => {
        c.socketCallBackResponse(msg.headers.messageId, null);
        const data = JSON.parse(msg.data) as { sessionWebhook: string };
        void fetch(data.sessionWebhook, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ msgtype: "text", text: { content: "已记录：本周完成35万" } }),
        });
      },
    });
    const [connection] = em.listConnections();
    const messageId = em.sendText("rep1101", "本周完成35万");
    expect(messageId).toEqual(expect.any(String));

    const acked = await em.waitForAck(messageId!);
    expect(acked.ack).toMatchObject({ code: 200, data: '{"response":null}' });

    expect(robotMessages).toHaveLength(1);
    const frame = robotMessages[0]!;
    expect(frame).toEqual({
      specVersion: "1.0",
      type: "CALLBACK",
      headers: {
        appId: expect.any(String),
        connectionId: connection!.connectionId,
        contentType: "application/json",
        messageId,
        time: expect.stringMatching(/^\d{13}$/),
        topic: ROBOT_MESSAGE_TOPIC,
      },
      data: expect.any(String),
    });
    for (const value of Object.values(frame.headers)) expect(typeof value).toBe("string");

    const data = JSON.parse(frame.data) as Record<string, unknown>;
    expect(data).toEqual({
      msgtype: "text",
      text: { content: "本周完成35万" },
      msgId: expect.stringMatching(/^msg/),
      createAt: expect.any(Number),
      conversationType: "1",
      conversationId: em.directConversationId("rep1101"),
      senderId: expect.stringMatching(/^\$:LWCP_v1:\$/),
      senderStaffId: "rep1101",
      senderNick: "张伟",
      senderCorpId: em.corpId,
      isAdmin: false,
      chatbotCorpId: em.corpId,
      chatbotUserId: expect.stringMatching(/^\$:LWCP_v1:\$/),
      robotCode: APP.clientId,
      sessionWebhook: expect.stringMatching(new RegExp(`^${em.url}/robot/sendBySession\\?session=\\w+$`)),
      sessionWebhookExpiredTime: (data.createAt as number) + 5_400_000,
    });
    expect(data.conversationId).toMatch(/^cid/);
    // The fixture handlers are tested on has the same fields.
    expect(Object.keys(data).sort()).toEqual(Object.keys(JSON.parse(robotTextFrame.data)).sort());
    expect(Object.keys(frame.headers).sort()).toEqual(Object.keys(robotTextFrame.headers).sort());

    await vi.waitFor(() => expect(em.getInbox("rep1101")).toHaveLength(1));
    expect(em.getInbox("rep1101")[0]).toMatchObject({
      kind: "sessionReply",
      msgtype: "text",
      body: { text: { content: "已记录：本周完成35万" } },
    });
  });

  it("pushes group messages only when they @ the bot", async () => {
    const em = await setup();
    const { robotMessages } = await client(em, {
      onRobotMessage: (msg, c) => c.socketCallBackResponse(msg.headers.messageId, null),
    });
    const group = {
      conversationType: "2" as const,
      conversationId: "cidGroupEast01==",
      conversationTitle: "华东销售群",
    };
    expect(em.sendText("rep1102", "大家加油", group)).toBeNull();
    const messageId = em.sendText("rep1102", " 本周完成20万", { ...group, atBot: true });
    await em.waitForAck(messageId!);
    expect(robotMessages).toHaveLength(1);
    const data = JSON.parse(robotMessages[0]!.data) as Record<string, unknown>;
    expect(data).toMatchObject({
      conversationType: "2",
      conversationId: "cidGroupEast01==",
      conversationTitle: "华东销售群",
      isInAtList: true,
      atUsers: [{ dingtalkId: data.chatbotUserId }],
      senderStaffId: "rep1102",
    });
    expect(em.getConversation("cidGroupEast01==").map((e) => e.kind)).toEqual(["userText", "userText"]);
  });

  it("redelivers an unacked push once, with the same messageId and the same frame", async () => {
    const em = await setup({ redeliverAfterMs: 80 });
    let seen = 0;
    const { robotMessages } = await client(em, {
      onRobotMessage: (msg, c) => {
        seen++;
        if (seen === 2) c.socketCallBackResponse(msg.headers.messageId, null);
      },
    });
    const messageId = em.sendText("rep1101", "35w")!;
    await em.waitForAck(messageId, 2000);
    expect(robotMessages).toHaveLength(2);
    expect(robotMessages[1]).toEqual(robotMessages[0]);
    expect(robotMessages[1]!.headers.messageId).toBe(messageId);
    const push = em.listPushes().find((p) => p.messageId === messageId)!;
    expect(push.deliveries).toHaveLength(2);
    expect(push.status).toBe("acked");
  });

  it("dropAcks(n) ignores acks so the push is redelivered", async () => {
    const em = await setup({ redeliverAfterMs: 80 });
    const { robotMessages } = await client(em, {
      onRobotMessage: (msg, c) => c.socketCallBackResponse(msg.headers.messageId, null),
    });
    em.dropAcks(1);
    const messageId = em.sendText("rep1101", "三十五万")!;
    const push = await em.waitForAck(messageId, 2000);
    expect(robotMessages.map((m) => m.headers.messageId)).toEqual([messageId, messageId]);
    expect(push.droppedAcks).toBe(1);
  });

  it("does not redeliver when redelivery is off", async () => {
    const em = await setup({ redeliverAfterMs: null });
    const { robotMessages } = await client(em); // never acks
    const ids = () => robotMessages.map((m) => m.headers.messageId);
    // A redelivery is a setTimeout in the emulator: with timers faked, a jump of a day fires any that was set,
    // whatever its delay. A redelivery would then be on the socket before the next push, which arrives in order.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const first = em.sendText("rep1101", "hi")!;
      await vi.waitFor(() => expect(ids()).toEqual([first]));
      vi.advanceTimersByTime(24 * 3_600_000);
      const second = em.sendText("rep1101", "hi again")!;
      await vi.waitFor(() => expect(ids()).toContain(second));
      expect(ids()).toEqual([first, second]);
      expect(em.listPushes().find((p) => p.messageId === first)).toMatchObject({ status: "pending", deliveries: [{}] });
    } finally {
      vi.useRealTimers();
    }
  });

  it("spreads pushes over several connections of one app, one connection per push", async () => {
    const em = await setup();
    const a = await client(em, { onRobotMessage: (m, c) => c.socketCallBackResponse(m.headers.messageId, null) });
    const b = await client(em, { onRobotMessage: (m, c) => c.socketCallBackResponse(m.headers.messageId, null) });
    expect(em.listConnections()).toHaveLength(2);
    const ids = Array.from({ length: 24 }, (_, i) => em.sendText("rep1101", `第${i}条`)!);
    await Promise.all(ids.map((id) => em.waitForAck(id)));
    expect(a.robotMessages.length + b.robotMessages.length).toBe(24);
    expect(a.robotMessages.length).toBeGreaterThan(0);
    expect(b.robotMessages.length).toBeGreaterThan(0);
  });
});

describe("stream client reconnects (src/dingtalk/stream-client.ts)", () => {
  it("retries a refused handshake through the gateway override, one attempt chain only", async () => {
    // Every ticket is already expired, so each handshake is refused with 401. The bare SDK schedules two
    // retries per failure (socket error + close) and doubles its gateway calls every second.
    const pacerApp = { clientId: "dingtestapp0002", clientSecret: "test-secret-0002" };
    const em = await setup({ ticketTtlMs: 0, apps: [APP, pacerApp] });
    const gatewayCalls = (clientId: string) =>
      em.listRequests("POST /v1.0/gateway/connections/open").filter((r) => r.clientId === clientId);
    /** Connects a client of `app` and waits until it has called the gateway `n` times. */
    const failing = async (app: typeof APP | typeof pacerApp, n: number) => {
      const client = createStreamClient({ apiBase: em.url, ...app });
      clients.push(client);
      await client.connect();
      await vi.waitFor(() => expect(gatewayCalls(app.clientId).length).toBeGreaterThanOrEqual(n), {
        timeout: 15_000,
        interval: 20,
      });
      return client;
    };
    const c = await failing(APP, 3);
    // One chain: a retry starts one reconnect interval (1 s) after the previous attempt failed, and that attempt
    // reached the emulator before failing, so by the emulator's own arrival stamps no second holds two calls. A
    // second chain's call would come milliseconds after its twin.
    expect(maxInWindow(gatewayCalls(APP.clientId).map((r) => r.at))).toBe(1);

    c.disconnect();
    const calls = gatewayCalls(APP.clientId).length;
    // A retry scheduled before disconnect() would start within one reconnect interval. Another app's client,
    // failing the same way from now on, shows that interval has passed: its second call comes 1 s after its
    // first one failed, and the retries of both are timers of this process, fired in order.
    await failing(pacerApp, 2);
    expect(gatewayCalls(APP.clientId)).toHaveLength(calls);
  });
});

describe("a refused handshake whose client resets the connection", () => {
  it("leaves the emulator serving, with no uncaught socket error", async () => {
    const em = await setup();
    const { port } = new URL(em.url);
    // A ws client aborts a refused handshake by destroying its socket; done at once, the emulator's write of
    // the 401 meets a reset connection (ECONNRESET on its side, which must not be an uncaught error).
    for (let i = 0; i < 20; i++) {
      await new Promise<void>((resolve) => {
        const socket = connectTcp(Number(port), "127.0.0.1", () => {
          socket.write(
            "GET /connect?ticket=nope HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
              "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
            () => socket.resetAndDestroy(),
          );
        });
        socket.on("error", () => undefined);
        socket.on("close", () => resolve());
      });
    }
    await client(em);
    expect(em.listConnections()).toHaveLength(1);
  });
});

describe("SYSTEM frames (docs/dingtalk.md §1.5)", () => {
  it("sends pings with an opaque payload that the SDK echoes", async () => {
    const em = await setup({ pingIntervalMs: 20 });
    await client(em);
    await vi.waitFor(() => expect(em.listConnections()[0]?.pingEchoes).toBeGreaterThanOrEqual(2));
    const [connection] = em.listConnections();
    expect(connection!.pingsSent).toBeGreaterThanOrEqual(connection!.pingEchoes);
  });

  it("rotate() sends disconnect, closes the socket, and the client reconnects through the gateway", async () => {
    const em = await setup();
    const { robotMessages } = await client(em, {
      onRobotMessage: (m, c) => c.socketCallBackResponse(m.headers.messageId, null),
    });
    const [before] = em.listConnections();
    await em.rotate();
    expect(em.listConnections()).toHaveLength(0);
    await vi.waitFor(() => expect(em.listConnections()).toHaveLength(1), { timeout: 5000, interval: 50 });
    expect(em.listConnections()[0]!.connectionId).not.toBe(before!.connectionId);
    expect(em.listRequests("POST /v1.0/gateway/connections/open")).toHaveLength(2);

    const messageId = em.sendText("rep1101", "rotation ok")!;
    await em.waitForAck(messageId);
    expect(robotMessages.at(-1)?.headers.messageId).toBe(messageId);
  });

  it("the client sees the SYSTEM disconnect frame before the close", async () => {
    const em = await setup({ disconnectCloseAfterMs: 50 });
    const { endpoint, ticket } = await gatewayTicket(em);
    const ws = new WebSocket(`${endpoint}?ticket=${ticket}`);
    sockets.push(ws);
    await new Promise((resolve) => ws.once("open", resolve));
    const frames: string[] = [];
    ws.on("message", (raw) => frames.push(String(raw)));
    const closed = new Promise<number>((resolve) => ws.once("close", (code) => resolve(code)));
    await em.rotate();
    expect(await closed).toBe(1000);
    expect(frames.map((f) => JSON.parse(f))).toEqual([
      {
        specVersion: "1.0",
        type: "SYSTEM",
        headers: { topic: "disconnect", contentType: "application/json" },
        data: '{"reason":"connection is expired"}',
      },
    ]);
  });
});
