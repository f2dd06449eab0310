import { afterEach, describe, expect, it, vi } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import { maxInWindow } from "../../src/dingtalk/emulator/request-log.ts";
import {
  APP,
  accessToken,
  call,
  connectClient,
  startTestEmulator,
  targetCardBody,
} from "../fixtures/dingtalk/emulator-app.ts";

let emulator: Emulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

async function setup(opts: Parameters<typeof startTestEmulator>[0] = {}) {
  emulator = await startTestEmulator(opts);
  return { em: emulator, token: await accessToken(emulator) };
}

const BATCH = "/v1.0/robot/oToMessages/batchSend";
const text = (content: string) => ({ msgKey: "sampleText", msgParam: JSON.stringify({ content }) });
const batchSend = (em: Emulator, token: string, userIds: string[], msg = text("请填写本周进度")) =>
  call(em, "POST", BATCH, { token, body: { robotCode: APP.clientId, userIds, ...msg } });

describe("access tokens (docs/dingtalk.md §5, §8)", () => {
  it("issues tokens on both token APIs, valid 7200 s", async () => {
    const { em, token } = await setup();
    expect(token).toMatch(/^\w{32}$/);
    const legacy = await call(em, "GET", `/gettoken?appkey=${APP.clientId}&appsecret=${APP.clientSecret}`);
    expect(legacy.body).toEqual({ errcode: 0, errmsg: "ok", access_token: expect.any(String), expires_in: 7200 });
    const bad = await call(em, "POST", "/v1.0/oauth2/accessToken", { body: { appKey: APP.clientId, appSecret: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe("invalidClientIdOrSecret");
    const badLegacy = await call(em, "GET", `/gettoken?appkey=${APP.clientId}&appsecret=x`);
    expect(badLegacy.body.errcode).toBe(40096);
  });

  it("needs x-acs-dingtalk-access-token on new APIs", async () => {
    const { em, token } = await setup();
    const missing = await call(em, "POST", BATCH, { body: {} });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      code: "AuthenticationFailed.MissingParameter",
      message: expect.any(String),
      requestid: expect.any(String),
    });
    const bearer = await call(em, "POST", BATCH, { body: {}, headers: { Authorization: `Bearer ${token}` } });
    expect(bearer.body.code).toBe("AuthenticationFailed.MissingParameter");
  });

  it("expireTokens() makes every token answer 400 InvalidAuthentication, legacy errcode 88 / 40014", async () => {
    const { em, token } = await setup();
    em.expireTokens();
    const res = await batchSend(em, token, ["rep1101"]);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      code: "InvalidAuthentication",
      message: "不合法的access_token",
      requestid: expect.any(String),
    });
    const legacy = await call(em, "POST", `/topapi/v2/user/get?access_token=${token}`, { body: { userid: "rep1101" } });
    expect(legacy.status).toBe(200);
    expect(legacy.body).toMatchObject({ errcode: 88, sub_code: "40014", sub_msg: "不合法的access_token" });

    const fresh = await accessToken(em);
    expect(fresh).not.toBe(token);
    expect((await batchSend(em, fresh, ["rep1101"])).status).toBe(200);
  });

  it("tokens expire after 7200 s of emulator clock", async () => {
    const { em, token } = await setup();
    em.advanceClock(7_199_000);
    expect((await batchSend(em, token, ["rep1101"])).status).toBe(200);
    em.advanceClock(1_000);
    expect((await batchSend(em, token, ["rep1101"])).body.code).toBe("InvalidAuthentication");
  });
});

describe("QPS limit and the request record (docs/dingtalk.md §8)", () => {
  it("answers 403 QpsLimitForAppkeyAndApi beyond the limit in a sliding second", async () => {
    let now = 1_700_000_000_000;
    const { em, token } = await setup({ now: () => now });
    em.setQpsLimit(3);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await batchSend(em, token, ["rep1101"])).status);
    expect(statuses).toEqual([200, 200, 200, 403]);
    const limited = await batchSend(em, token, ["rep1101"]);
    expect(limited.body).toEqual({
      code: "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
      message: expect.any(String),
      requestid: expect.any(String),
    });
    // Other APIs have their own window.
    expect((await call(em, "PUT", "/v1.0/card/instances", { token, body: { outTrackId: "x" } })).status).toBe(400);

    now += 999;
    expect((await batchSend(em, token, ["rep1101"])).status).toBe(403);
    now += 1;
    expect((await batchSend(em, token, ["rep1101"])).status).toBe(200);

    const record = em.listRequests(`POST ${BATCH}`);
    expect(record).toHaveLength(7);
    expect(record.map((r) => r.status)).toEqual([200, 200, 200, 403, 403, 403, 200]);
    expect(record.every((r) => r.clientId === APP.clientId)).toBe(true);
    expect(em.maxRequestsInWindow(BATCH)).toBe(6);
    expect(maxInWindow(record.filter((r) => r.status === 200).map((r) => r.at))).toBe(3);

    em.setQpsLimit(null);
    for (let i = 0; i < 5; i++) expect((await batchSend(em, token, ["rep1101"])).status).toBe(200);
  });

  it("maxInWindow counts half-open one-second windows", () => {
    expect(maxInWindow([0, 999, 1000, 1999, 2000])).toBe(2);
    expect(maxInWindow([5, 5, 5, 1004])).toBe(4);
    expect(maxInWindow([])).toBe(0);
  });
});

describe("robot messages (docs/dingtalk.md §4)", () => {
  it("batchSend records messages per user and reports unknown ids", async () => {
    const { em, token } = await setup();
    const res = await batchSend(em, token, ["rep1101", "ghost", "rep1102"], {
      msgKey: "sampleMarkdown",
      msgParam: JSON.stringify({ title: "周报提醒", text: "## 请填写W14进度" }),
    });
    expect(res.body).toEqual({
      processQueryKey: expect.any(String),
      invalidStaffIdList: ["ghost"],
      flowControlledStaffIdList: [],
      filteredStaffIdList: [],
    });
    expect(em.getInbox("rep1102")).toEqual([
      expect.objectContaining({
        kind: "robotMessage",
        via: "batchSend",
        msgKey: "sampleMarkdown",
        msgParam: { title: "周报提醒", text: "## 请填写W14进度" },
        processQueryKey: res.body.processQueryKey,
      }),
    ]);
  });

  it.each([
    ["21 userIds", Array.from({ length: 21 }, (_, i) => `u${i}`), text("x")],
    ["no userIds", [], text("x")],
    ["unknown msgKey", ["rep1101"], { msgKey: "sampleCard", msgParam: "{}" }],
    ["msgParam not JSON", ["rep1101"], { msgKey: "sampleText", msgParam: "content=hi" }],
    ["msgParam an object, not a string", ["rep1101"], { msgKey: "sampleText", msgParam: { content: "hi" } }],
    ["missing key", ["rep1101"], { msgKey: "sampleLink", msgParam: JSON.stringify({ title: "t", text: "x" }) }],
    ["actionCard2 missing button", ["rep1101"], { msgKey: "sampleActionCard2", msgParam: '{"title":"t","text":"x"}' }],
  ])("batchSend refuses %s with 400 param.invalid", async (_name, userIds, msg) => {
    const { em, token } = await setup();
    const res = await call(em, "POST", BATCH, { token, body: { robotCode: APP.clientId, userIds, ...msg } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe("param.invalid");
  });

  it("accepts exactly 20 userIds", async () => {
    const { em, token } = await setup({ staff: { departments: [], users: [] } });
    const ids = Array.from({ length: 20 }, (_, i) => `u${i}`);
    expect((await batchSend(em, token, ids)).body.invalidStaffIdList).toEqual([]);
  });

  it("groupMessages/send answers a processQueryKey and reaches known group members", async () => {
    const { em, token } = await setup();
    em.sendText("rep1103", "hello", { conversationType: "2", conversationId: "cidSouth==" });
    const res = await call(em, "POST", "/v1.0/robot/groupMessages/send", {
      token,
      body: { robotCode: APP.clientId, openConversationId: "cidSouth==", ...text("本周目标完成率 92%") },
    });
    expect(res.body).toEqual({ processQueryKey: expect.any(String) });
    expect(em.getInbox("rep1103")).toEqual([expect.objectContaining({ kind: "robotMessage", via: "groupSend" })]);
    const tooBig = await call(em, "POST", "/v1.0/robot/groupMessages/send", {
      token,
      body: { robotCode: APP.clientId, openConversationId: "cidSouth==", ...text("长".repeat(5001)) },
    });
    expect(tooBig.body.code).toBe("param.invalid");
  });
});

describe("session webhook (docs/dingtalk.md §2.1)", () => {
  const webhookOf = (em: Emulator, messageId: string) =>
    (em.listPushes().find((p) => p.messageId === messageId)!.data as { sessionWebhook: string }).sessionWebhook;

  it("accepts text, markdown, actionCard and link replies and refuses after expiry", async () => {
    const { em } = await setup();
    const url = webhookOf(em, em.sendText("rep1101", "进度")!);
    const post = async (body: unknown) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      return (await res.json()) as { errcode: number; errmsg: string };
    };
    const ok = { errcode: 0, errmsg: "ok" };
    expect(await post({ msgtype: "text", text: { content: "hi" }, at: { atUserIds: ["rep1101"] } })).toEqual(ok);
    expect(await post({ msgtype: "markdown", markdown: { title: "t", text: "## md" } })).toEqual(ok);
    expect(
      await post({
        msgtype: "actionCard",
        actionCard: { title: "t", text: "md", singleTitle: "看", singleURL: "https://x" },
      }),
    ).toEqual(ok);
    expect(
      await post({
        msgtype: "actionCard",
        actionCard: { title: "t", text: "md", btns: [{ title: "A", actionURL: "https://a" }] },
      }),
    ).toEqual(ok);
    expect(await post({ msgtype: "link", link: { title: "t", text: "x", messageUrl: "https://x" } })).toEqual(ok);
    expect((await post({ msgtype: "image", image: {} })).errcode).toBe(400002);
    expect((await post({ msgtype: "text", text: {} })).errcode).toBe(400002);
    expect(em.getInbox("rep1101").map((i) => i.kind === "sessionReply" && i.msgtype)).toEqual([
      "text",
      "markdown",
      "actionCard",
      "actionCard",
      "link",
    ]);

    em.advanceClock(5_400_000);
    expect((await post({ msgtype: "text", text: { content: "late" } })).errcode).toBe(300005);
    const unknown = await fetch(`${em.url}/robot/sendBySession?session=nope`, { method: "POST", body: "{}" });
    expect(((await unknown.json()) as { errcode: number }).errcode).toBe(300005);
  });
});

describe("directory (docs/dingtalk.md §6)", () => {
  const topapi = (em: Emulator, token: string, path: string, body: unknown) =>
    call(em, "POST", `/topapi/v2/${path}?access_token=${token}`, { body });

  it("lists sub-departments and pages users with a cursor", async () => {
    const { em, token } = await setup();
    const root = await topapi(em, token, "department/listsub", { dept_id: 1, language: "zh_CN" });
    expect(root.body).toMatchObject({ errcode: 0, errmsg: "ok", request_id: expect.any(String) });
    expect((root.body.result as { dept_id: number }[]).map((d) => d.dept_id)).toEqual([100, 200]);
    const sub = await topapi(em, token, "department/listsub", { dept_id: 100 });
    expect(sub.body.result).toEqual([
      expect.objectContaining({ dept_id: 110, name: "华东大区", parent_id: 100 }),
      expect.objectContaining({ dept_id: 120, name: "华南大区", parent_id: 100 }),
    ]);

    const seen: string[] = [];
    let cursor = 0;
    const pages: boolean[] = [];
    for (;;) {
      const page = await topapi(em, token, "user/list", { dept_id: 110, cursor, size: 2 });
      const result = page.body.result as { has_more: boolean; next_cursor?: number; list: Record<string, unknown>[] };
      seen.push(...result.list.map((u) => u.userid as string));
      for (const u of result.list) expect(u).not.toHaveProperty("manager_userid");
      pages.push(result.has_more);
      if (!result.has_more) break;
      cursor = result.next_cursor!;
    }
    expect(seen).toEqual(["mgr110", "rep1101", "rep1102", "rep1103", "rep1104"]);
    expect(pages).toEqual([true, true, false]);
  });

  it("user/get returns manager_userid; errors follow the legacy envelope", async () => {
    const { em, token } = await setup();
    const user = await topapi(em, token, "user/get", { userid: "rep1101", language: "zh_CN" });
    expect(user.body.result).toMatchObject({
      userid: "rep1101",
      name: "张伟",
      title: "客户经理",
      manager_userid: "mgr110",
      dept_id_list: [110],
      unionid: expect.any(String),
    });
    expect((await topapi(em, token, "user/get", { userid: "ghost" })).body.errcode).toBe(60121);
    expect((await topapi(em, token, "user/list", { dept_id: 999, cursor: 0, size: 10 })).body.errcode).toBe(60003);
    expect((await topapi(em, token, "department/listsub", { dept_id: 999 })).body.errcode).toBe(60003);
    expect((await topapi(em, token, "user/list", { dept_id: 110, cursor: 0, size: 101 })).body.errcode).toBe(400002);
    expect((await topapi(em, token, "user/list", { dept_id: 110, cursor: 0, size: 100 })).body.errcode).toBe(0);
    const noToken = await call(em, "POST", "/topapi/v2/user/get", { body: { userid: "rep1101" } });
    expect(noToken.body).toMatchObject({ errcode: 88, sub_code: "40014" });
  });

  it("setStaff replaces the directory", async () => {
    const { em, token } = await setup();
    em.setStaff({ departments: [{ dept_id: 5, name: "新部门", parent_id: 1 }], users: [] });
    const root = await topapi(em, token, "department/listsub", { dept_id: 1 });
    expect(root.body.result).toEqual([expect.objectContaining({ dept_id: 5 })]);
    expect(() => em.setStaff({ departments: [{ dept_id: "x" }] } as never)).toThrow();
  });
});

describe("faults", () => {
  it("fail5xx answers 500 system.busy (legacy errcode -1) the next n times, then recovers", async () => {
    const { em, token } = await setup();
    em.fail5xx(`POST ${BATCH}`, 2);
    const first = await batchSend(em, token, ["rep1101"]);
    expect(first.status).toBe(500);
    expect(first.body).toEqual({ code: "system.busy", message: expect.any(String), requestid: expect.any(String) });
    expect((await batchSend(em, token, ["rep1101"])).status).toBe(500);
    expect((await batchSend(em, token, ["rep1101"])).status).toBe(200);

    em.fail5xx("/topapi/v2/user/get", 1);
    const legacy = await call(em, "POST", `/topapi/v2/user/get?access_token=${token}`, { body: { userid: "rep1101" } });
    expect(legacy.body.errcode).toBe(-1);
    expect(em.listRequests("/topapi/v2/user/get")[0]).toMatchObject({ status: 200, errorCode: "-1" });
  });

  it("latency(ms) delays every API answer, and no control answer", async () => {
    const { em, token } = await setup();
    em.sendText("rep1101", "进度"); // for a session webhook
    const session = em.listPushes()[0]!.data.sessionWebhook as string;
    const before = em.listRequests().length;
    em.latency(1500);
    const answered: string[] = [];
    const track = <T>(name: string, p: Promise<T>) =>
      p.then((r) => {
        answered.push(name);
        return r;
      });
    const calls = [
      track("batchSend", batchSend(em, token, ["rep1101"])),
      track("no token", call(em, "POST", BATCH, { body: {} })),
      track("legacy", call(em, "POST", `/topapi/v2/user/get?access_token=${token}`, { body: { userid: "rep1101" } })),
      track("gettoken", call(em, "GET", `/gettoken?appkey=${APP.clientId}&appsecret=${APP.clientSecret}`)),
      track(
        "webhook",
        fetch(session, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ msgtype: "text", text: { content: "收到" } }),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> })),
      ),
    ];
    // All five have arrived (the log records a request on arrival, its status once answered)…
    await vi.waitFor(() => expect(em.listRequests().length - before).toBe(5));
    // …and a control call made after that is answered while each of them is still waiting for its answer.
    expect((await call(em, "GET", "/_emulator/pushes")).status).toBe(200);
    expect(answered).toEqual([]);
    expect(
      em
        .listRequests()
        .slice(before)
        .map((r) => r.status),
    ).toEqual(Array(5).fill(undefined));
    expect(em.getInbox("rep1101")).toEqual([]);

    const results = await Promise.all(calls);
    expect(results.map((r) => r.status)).toEqual([200, 400, 200, 200, 200]);
    expect(results.map((r) => r.body.code ?? r.body.errcode)).toEqual([
      undefined,
      "AuthenticationFailed.MissingParameter",
      0,
      0,
      0,
    ]);
    expect(em.getInbox("rep1101").map((i) => i.kind)).toEqual(["robotMessage", "sessionReply"]);
  });

  it("reset() forgets chats, cards, pushes, requests, faults and the clock offset", async () => {
    const { em, token } = await setup();
    const { client, robotMessages } = await connectClient(em, {
      onRobotMessage: (msg, c) => c.socketCallBackResponse(msg.headers.messageId, null),
    });
    try {
      expect((await batchSend(em, token, ["rep1101"])).status).toBe(200);
      const card = await call(em, "POST", "/v1.0/card/instances/createAndDeliver", {
        token,
        body: targetCardBody("reset-card"),
      });
      expect(card.status).toBe(200);
      await em.waitForAck(em.sendText("rep1101", "35万")!);
      expect(em.getInbox("rep1101")).toHaveLength(2);
      expect(em.listCards()).toHaveLength(1);
      expect(em.listPushes()).toHaveLength(1);
      em.fail5xx(BATCH, 5);
      em.setQpsLimit(1);
      em.latency(600_000);
      em.dropAcks(5);
      em.delayAcks(600_000);
      em.advanceClock(7_200_000); // the token has expired

      em.reset();
      expect(em.getInbox("rep1101")).toEqual([]);
      expect(em.getConversation(em.directConversationId("rep1101"))).toEqual([]);
      expect(em.listCards()).toEqual([]);
      expect(em.getCard("reset-card")).toBeUndefined();
      expect(em.listPushes()).toEqual([]);
      expect(em.listRequests()).toEqual([]);
      // The clock is back (the token is valid again), and neither 5xx, nor the QPS limit of 1, nor a latency of
      // ten minutes is left: both calls are answered 200, and the test would time out waiting for them.
      expect((await batchSend(em, token, ["rep1101"])).status).toBe(200);
      expect((await batchSend(em, token, ["rep1101"])).status).toBe(200);
      expect(em.listRequests().map((r) => [r.api, r.status])).toEqual([
        [`POST ${BATCH}`, 200],
        [`POST ${BATCH}`, 200],
      ]);
      // Acks are taken at once again: neither dropped nor held for ten minutes (waitForAck gives up after 5 s).
      const messageId = em.sendText("rep1101", "40万")!;
      const push = await em.waitForAck(messageId);
      expect(push).toMatchObject({ status: "acked", droppedAcks: 0 });
      expect(robotMessages.map((m) => m.headers.messageId).at(-1)).toBe(messageId);
    } finally {
      client.disconnect();
    }
  });
});

describe("HTTP control API (/_emulator)", () => {
  it("mirrors the typed methods", async () => {
    const { em, token } = await setup();
    const sent = await call(em, "POST", "/_emulator/messages", { body: { userId: "rep1101", text: "35万" } });
    expect(sent.body.messageId).toEqual(expect.any(String));
    const pushes = await fetch(`${em.url}/_emulator/pushes`).then((r) => r.json() as Promise<unknown[]>);
    expect(pushes).toHaveLength(1);

    await batchSend(em, token, ["rep1101"]);
    const inbox = await fetch(`${em.url}/_emulator/inbox/rep1101`).then((r) => r.json() as Promise<unknown[]>);
    expect(inbox).toEqual([expect.objectContaining({ kind: "robotMessage" })]);

    expect((await call(em, "PUT", "/_emulator/qps", { body: { limit: 1 } })).status).toBe(204);
    await batchSend(em, token, ["rep1101"]);
    expect((await batchSend(em, token, ["rep1101"])).status).toBe(403);
    const max = await call(em, "GET", `/_emulator/requests/max-in-window?api=${encodeURIComponent(`POST ${BATCH}`)}`);
    expect(max.body.max).toBe(3);

    expect((await call(em, "POST", "/_emulator/faults/fail5xx", { body: { api: "/gettoken", count: 1 } })).status).toBe(
      204,
    );
    const failed = await call(em, "GET", `/gettoken?appkey=${APP.clientId}&appsecret=${APP.clientSecret}`);
    expect(failed.body.errcode).toBe(-1);

    const click = await call(em, "POST", "/_emulator/cards/none/click", { body: { userId: "rep1101", params: {} } });
    expect(click.body).toMatchObject({ status: "none" });
    expect((await call(em, "GET", "/_emulator/cards/none")).status).toBe(404);
    expect((await call(em, "POST", "/_emulator/messages", { body: { text: "no user" } })).status).toBe(400);
    expect((await call(em, "PUT", "/_emulator/staff", { body: { users: [{ userid: 1 }] } })).status).toBe(400);
    expect((await call(em, "POST", "/_emulator/expire-tokens")).status).toBe(204);
    expect((await batchSend(em, token, ["rep1101"])).body.code).toBe("InvalidAuthentication");
    // No CORS on the control API (issue #15): no page on another origin may read it.
    const cors = await fetch(`${em.url}/_emulator/reset`, {
      method: "OPTIONS",
      headers: { Origin: "http://evil.example" },
    });
    expect(cors.headers.get("access-control-allow-origin")).toBeNull();
    expect((await call(em, "GET", "/v1.0/nothing/here")).status).toBe(404);
  });
});
