import type { DWClientDownStream } from "dingtalk-stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Emulator } from "../../src/dingtalk/emulator/emulator-types.ts";
import type { GatewayDWClient } from "../../src/dingtalk/stream-client.ts";
import { CARD_CALLBACK_TOPIC, ROBOT_MESSAGE_TOPIC } from "../../src/dingtalk/topics.ts";
import {
  APP,
  accessToken,
  call,
  connectClient,
  startTestEmulator,
  targetCardBody,
} from "../fixtures/dingtalk/emulator-app.ts";
import { cardCallbackFrame } from "../fixtures/dingtalk/frames.ts";

let emulator: Emulator | undefined;
const clients: GatewayDWClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await emulator?.close();
  emulator = undefined;
});

async function setup(opts: Parameters<typeof startTestEmulator>[0] = {}) {
  emulator = await startTestEmulator(opts);
  return { em: emulator, token: await accessToken(emulator) };
}

/** Connects a client whose card-callback handler answers with `respond(data)`. */
async function cardClient(em: Emulator, respond: (data: Record<string, unknown>) => unknown, delayMs = 0) {
  const c = await connectClient(em, {
    onCardCallback: (msg: DWClientDownStream, client) => {
      const answer = () => client.socketCallBackResponse(msg.headers.messageId, respond(JSON.parse(msg.data)));
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    },
  });
  clients.push(c.client);
  return c;
}

const create = (em: Emulator, token: string, body: unknown) =>
  call(em, "POST", "/v1.0/card/instances/createAndDeliver", { token, body });

describe("createAndDeliver (docs/dingtalk.md §3.3)", () => {
  it("stores template + data per recipient and answers the documented shape", async () => {
    const { em, token } = await setup();
    const res = await create(em, token, targetCardBody("target-42-v1-rep1101"));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      success: true,
      result: {
        outTrackId: "target-42-v1-rep1101",
        deliverResults: [
          { spaceType: "IM_ROBOT", spaceId: "rep1101", success: true, carrierId: expect.any(String), errorMsg: "" },
        ],
      },
    });
    expect(em.getCard("target-42-v1-rep1101")).toMatchObject({
      cardTemplateId: "dac1dbec-55af-40c3-be91-6d6882ef3b66.schema",
      callbackType: "STREAM",
      publicData: { title: "2026年度销售目标", amount: "4200000", status: "待确认" },
      privateData: { rep1101: { canConfirm: "true" } },
    });
    expect(em.getInbox("rep1101")).toEqual([
      expect.objectContaining({
        kind: "card",
        outTrackId: "target-42-v1-rep1101",
        conversationType: "1",
        data: { title: "2026年度销售目标", amount: "4200000", status: "待确认", canConfirm: "true" },
      }),
    ]);
    expect(em.getInbox("rep1102")).toEqual([]);
  });

  it("delivers to a group through imGroupOpenDeliverModel", async () => {
    const { em, token } = await setup();
    em.sendText("rep1102", "hi", { conversationType: "2", conversationId: "cidEast==" }); // a known member
    const body = {
      ...targetCardBody("group-card-1"),
      openSpaceId: "dtv1.card//IM_GROUP.cidEast==",
      imRobotOpenDeliverModel: undefined,
      imRobotOpenSpaceModel: undefined,
      imGroupOpenSpaceModel: { supportForward: true },
      imGroupOpenDeliverModel: { robotCode: APP.clientId, atUserIds: { rep1103: "陈静" } },
    };
    const res = await create(em, token, body);
    expect(res.status).toBe(200);
    expect(em.getInbox("rep1102")).toHaveLength(1);
    expect(em.getInbox("rep1103")).toHaveLength(1);
    expect(em.getCard("group-card-1")?.deliveries[0]).toMatchObject({ spaceType: "IM_GROUP", spaceId: "cidEast==" });
  });

  const kb = (n: number) => "是".repeat(Math.floor(n / 3)) + "x".repeat(n % 3); // UTF-8 bytes
  const cases: [string, (b: Record<string, unknown>) => Record<string, unknown>, string][] = [
    ["empty body", () => ({}), "param.empty"],
    ["no cardTemplateId", (b) => ({ ...b, cardTemplateId: undefined }), "param.cardTemplateIdEmpty"],
    ["no outTrackId", (b) => ({ ...b, outTrackId: "" }), "param.outTrackIdEmpty"],
    ["no openSpaceId", (b) => ({ ...b, openSpaceId: undefined }), "param.openSpaceIdEmpty"],
    ["openSpaceId without prefix", (b) => ({ ...b, openSpaceId: "IM_ROBOT.rep1101" }), "param.openSpaceIdInvalid"],
    ["openSpaceId without id", (b) => ({ ...b, openSpaceId: "dtv1.card//IM_ROBOT." }), "param.openSpaceIdInvalid"],
    ["IM_GROUP without cid", (b) => ({ ...b, openSpaceId: "dtv1.card//IM_GROUP.group1" }), "param.openSpaceIdInvalid"],
    ["unknown space type", (b) => ({ ...b, openSpaceId: "dtv1.card//IM_FOO.x" }), "param.openSpaceIdInvalid"],
    ["no robot deliver model", (b) => ({ ...b, imRobotOpenDeliverModel: undefined }), "param.openDeliverModelEmpty"],
    [
      "group space without group deliver model",
      (b) => ({ ...b, openSpaceId: "dtv1.card//IM_ROBOT.rep1101;IM_GROUP.cidX==" }),
      "param.openDeliverModelEmpty",
    ],
    [
      "group deliver model without robotCode",
      (b) => ({ ...b, openSpaceId: "dtv1.card//IM_GROUP.cidX==", imGroupOpenDeliverModel: {} }),
      "param.openDeliverModelError",
    ],
    [
      "robot deliver model of another space type",
      (b) => ({ ...b, imRobotOpenDeliverModel: { spaceType: "IM_GROUP" } }),
      "param.openDeliverModelError",
    ],
    [
      "another app's robotCode",
      (b) => ({ ...b, imRobotOpenDeliverModel: { spaceType: "IM_ROBOT", robotCode: "dingother" } }),
      "param.openDeliverModelError",
    ],
    ["space model not an object", (b) => ({ ...b, imRobotOpenSpaceModel: "yes" }), "param.openSpaceModelInvalid"],
    ["no cardData", (b) => ({ ...b, cardData: undefined }), "param.cardPublicDataEmpty"],
    ["number in cardParamMap", (b) => ({ ...b, cardData: { cardParamMap: { amount: 4200000 } } }), "param.invalid"],
    ["object in cardParamMap", (b) => ({ ...b, cardData: { cardParamMap: { list: [1, 2] } } }), "param.invalid"],
    ["key over 100 bytes", (b) => ({ ...b, cardData: { cardParamMap: { [kb(101)]: "v" } } }), "param.invalid"],
    ["value over 1 KB", (b) => ({ ...b, cardData: { cardParamMap: { note: kb(1025) } } }), "param.invalid"],
    [
      "number in privateData",
      (b) => ({ ...b, privateData: { rep1101: { cardParamMap: { canConfirm: true } } } }),
      "param.invalid",
    ],
    ["bad callbackType", (b) => ({ ...b, callbackType: "WEBHOOK" }), "param.invalid"],
    ["unknown user", (b) => ({ ...b, openSpaceId: "dtv1.card//IM_ROBOT.nobody" }), "param.userIdNotExist"],
  ];
  it.each(cases)("%s → 400 %s", async (_name, mutate, code) => {
    const { em, token } = await setup();
    const res = await create(em, token, mutate(targetCardBody("c-validation")));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code, message: expect.any(String), requestid: expect.any(String) });
    expect(em.getCard("c-validation")).toBeUndefined();
  });

  it("accepts keys of exactly 100 bytes and values of exactly 1 KB", async () => {
    const { em, token } = await setup();
    const res = await create(em, token, {
      ...targetCardBody("c-limits"),
      cardData: { cardParamMap: { [kb(100)]: kb(1024) } },
    });
    expect(res.status).toBe(200);
  });

  it("refuses a second card with the same outTrackId: 400 param.cardAlreadyExist", async () => {
    const { em, token } = await setup();
    expect((await create(em, token, targetCardBody("dup"))).status).toBe(200);
    const again = await create(em, token, targetCardBody("dup", "rep1102"));
    expect(again.status).toBe(400);
    expect(again.body.code).toBe("param.cardAlreadyExist");
    expect(em.getInbox("rep1102")).toEqual([]);
  });
});

describe("two-step create + deliver and update (docs/dingtalk.md §3.4)", () => {
  it("creates, then delivers, then updates with replace vs merge", async () => {
    const { em, token } = await setup();
    const { openSpaceId: _s, imRobotOpenDeliverModel: _d, ...createBody } = targetCardBody("two-step");
    const created = await call(em, "POST", "/v1.0/card/instances", { token, body: createBody });
    expect(created.body).toEqual({ success: true, result: "two-step" });
    expect(em.getInbox("rep1101")).toEqual([]);

    const delivered = await call(em, "POST", "/v1.0/card/instances/deliver", {
      token,
      body: {
        outTrackId: "two-step",
        openSpaceId: "dtv1.card//IM_ROBOT.rep1101",
        imRobotOpenDeliverModel: { spaceType: "IM_ROBOT" },
      },
    });
    expect(delivered.body).toEqual({
      success: true,
      result: [
        { spaceType: "IM_ROBOT", spaceId: "rep1101", success: true, carrierId: expect.any(String), errorMsg: "" },
      ],
    });
    expect(em.getInbox("rep1101")).toHaveLength(1);

    const put = (body: unknown) => call(em, "PUT", "/v1.0/card/instances", { token, body });
    const merged = await put({
      outTrackId: "two-step",
      cardData: { cardParamMap: { status: "已确认" } },
      cardUpdateOptions: { updateCardDataByKey: true },
    });
    expect(merged.body).toEqual({ success: true, result: true });
    expect(em.getCard("two-step")?.publicData).toEqual({
      title: "2026年度销售目标",
      amount: "4200000",
      status: "已确认",
    });

    await put({ outTrackId: "two-step", cardData: { cardParamMap: { status: "已撤回" } } });
    expect(em.getCard("two-step")?.publicData).toEqual({ status: "已撤回" });

    await put({ outTrackId: "two-step", privateData: { rep1101: { cardParamMap: { seen: "true" } } } });
    expect(em.getCard("two-step")?.privateData.rep1101).toEqual({ seen: "true" });
    expect(em.getInbox("rep1101")[0]).toMatchObject({ data: { status: "已撤回", seen: "true" } });
  });

  it("answers param.cardNotExist, param.outTrackIdEmpty and param.cardDataAndPrivateDataBothEmpty", async () => {
    const { em, token } = await setup();
    const put = (body: unknown) => call(em, "PUT", "/v1.0/card/instances", { token, body });
    expect((await put({ outTrackId: "nope", cardData: { cardParamMap: {} } })).body.code).toBe("param.cardNotExist");
    expect((await put({ cardData: { cardParamMap: {} } })).body.code).toBe("param.outTrackIdEmpty");
    expect((await put({ outTrackId: "nope" })).body.code).toBe("param.cardDataAndPrivateDataBothEmpty");
    const deliver = await call(em, "POST", "/v1.0/card/instances/deliver", {
      token,
      body: { outTrackId: "nope", openSpaceId: "dtv1.card//IM_ROBOT.rep1101", imRobotOpenDeliverModel: {} },
    });
    expect(deliver.status).toBe(400);
    expect(deliver.body.code).toBe("param.cardNotExist");
  });
});

describe("card callbacks over the real DWClient (docs/dingtalk.md §3.6, §1.6)", () => {
  it("pushes the click in the documented envelope and applies the ack's response (replace)", async () => {
    const { em, token } = await setup();
    await create(em, token, targetCardBody("cb-replace"));
    const { cardCallbacks } = await cardClient(em, () => ({
      cardData: { cardParamMap: { status: "已确认" } },
      userPrivateData: { cardParamMap: { confirmed: "true" } },
    }));

    const result = await em.clickCard("cb-replace", "rep1101", { action: "confirm" }, "confirm_btn");
    expect(result.status).toBe("applied");
    const frame = cardCallbacks[0]!;
    expect(frame.headers).toMatchObject({ topic: CARD_CALLBACK_TOPIC, contentType: "application/json" });
    expect(frame.type).toBe("CALLBACK");
    expect(JSON.parse(frame.data)).toEqual({
      type: "actionCallback",
      outTrackId: "cb-replace",
      corpId: em.corpId,
      userId: "rep1101",
      userIdType: 1,
      spaceType: "IM_ROBOT",
      spaceId: "rep1101",
      extension: "{}",
      content: JSON.stringify({ cardPrivateData: { actionIds: ["confirm_btn"], params: { action: "confirm" } } }),
    });
    expect(Object.keys(JSON.parse(frame.data)).sort()).toEqual(Object.keys(JSON.parse(cardCallbackFrame.data)).sort());
    const card = em.getCard("cb-replace")!;
    expect(card.publicData).toEqual({ status: "已确认" });
    expect(card.privateData.rep1101).toEqual({ confirmed: "true" });
    expect(card.updates.at(-1)).toMatchObject({ source: "callback", userId: "rep1101" });
  });

  it("merges by key when cardUpdateOptions say so, and accepts privateData keyed by user", async () => {
    const { em, token } = await setup();
    await create(em, token, targetCardBody("cb-merge"));
    await cardClient(em, (data) => ({
      cardData: { cardParamMap: { status: "有异议" } },
      privateData: { [data.userId as string]: { cardParamMap: { disputed: "true" } } },
      cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
    }));
    const result = await em.clickCard("cb-merge", "rep1101", { action: "dispute", reason: "太高", amount: "380万" });
    expect(result.status).toBe("applied");
    const card = em.getCard("cb-merge")!;
    expect(card.publicData).toEqual({ title: "2026年度销售目标", amount: "4200000", status: "有异议" });
    expect(card.privateData.rep1101).toEqual({ canConfirm: "true", disputed: "true" });
  });

  it("leaves the card unchanged on an empty response and rejects non-string values", async () => {
    const { em, token } = await setup();
    await create(em, token, targetCardBody("cb-empty"));
    let answer: unknown = null;
    await cardClient(em, () => answer);
    const before = em.getCard("cb-empty")!;
    expect(await em.clickCard("cb-empty", "rep1101", { action: "confirm" })).toMatchObject({
      status: "applied",
      response: null,
    });
    answer = { cardData: { cardParamMap: { amount: 1 } } };
    const rejected = await em.clickCard("cb-empty", "rep1101", { action: "confirm" });
    expect(rejected).toMatchObject({ status: "rejected", reason: expect.stringContaining("param.invalid") });
    expect(em.getCard("cb-empty")?.publicData).toEqual(before.publicData);
  });

  it("records a late ack (> deadline) as a timeout and does not apply it", async () => {
    const { em, token } = await setup({ cardCallbackDeadlineMs: 300 });
    await create(em, token, targetCardBody("cb-late"));
    await cardClient(em, () => ({ cardData: { cardParamMap: { status: "已确认" } } }), 600);
    const result = await em.clickCard("cb-late", "rep1101", { action: "confirm" });
    expect(result.status).toBe("timeout");
    const messageId = (result as { messageId: string }).messageId;
    await vi.waitFor(() => expect(em.listPushes().find((p) => p.messageId === messageId)?.lateAcks).toHaveLength(1));
    expect(em.getCard("cb-late")?.publicData.status).toBe("待确认");
  });

  it("delayAcks(ms) beyond the deadline also times out", async () => {
    const { em, token } = await setup({ cardCallbackDeadlineMs: 300 });
    await create(em, token, targetCardBody("cb-delay"));
    await cardClient(em, () => ({ cardData: { cardParamMap: { status: "已确认" } } }));
    em.delayAcks(500);
    expect((await em.clickCard("cb-delay", "rep1101", {})).status).toBe("timeout");
    em.delayAcks(0);
    expect((await em.clickCard("cb-delay", "rep1101", {})).status).toBe("applied");
  });

  it("pushes nothing for non-STREAM cards or without a subscribed connection", async () => {
    const { em, token } = await setup();
    await create(em, token, { ...targetCardBody("cb-http"), callbackType: "HTTP" });
    await create(em, token, targetCardBody("cb-stream"));
    expect(await em.clickCard("cb-http", "rep1101", {})).toMatchObject({ status: "none" });
    expect(await em.clickCard("missing", "rep1101", {})).toMatchObject({ status: "none" });

    // A connection subscribed to robot messages only does not get card callbacks.
    const { body } = await call(em, "POST", "/v1.0/gateway/connections/open", {
      body: { ...APP, subscriptions: [{ type: "CALLBACK", topic: ROBOT_MESSAGE_TOPIC }] },
    });
    const { WebSocket } = await import("ws");
    const ws = new WebSocket(`${body.endpoint}?ticket=${body.ticket}`);
    await new Promise((resolve) => ws.once("open", resolve));
    try {
      expect(em.listConnections()).toHaveLength(1);
      expect(await em.clickCard("cb-stream", "rep1101", {})).toMatchObject({
        status: "none",
        reason: expect.stringContaining(CARD_CALLBACK_TOPIC),
      });
    } finally {
      ws.terminate();
    }
  });
});
