import { describe, expect, it } from "vitest";
import { cardUpdateBody } from "../../src/dingtalk/inbound/api-card-updater.ts";
import { canonicalJson, cardKey, textKeys } from "../../src/dingtalk/inbound/dedupe-keys.ts";
import { type CardActionEvent, parseCardCallback, parseRobotMessage } from "../../src/dingtalk/inbound/parse-push.ts";
import { noticeUpdate } from "../../src/dingtalk/inbound/run-card-action.ts";
import { webhookBody } from "../../src/dingtalk/inbound/session-webhook-transport.ts";
import { cardCallbackFrame, robotTextFrame } from "../fixtures/dingtalk/frames.ts";

const robotData = JSON.parse(robotTextFrame.data) as Record<string, unknown>;
const cardData = JSON.parse(cardCallbackFrame.data) as Record<string, unknown>;

describe("parseRobotMessage (docs/dingtalk.md §2)", () => {
  it("reads a realistic text message", () => {
    const r = parseRobotMessage("mid-1", robotTextFrame.data);
    expect(r).toMatchObject({
      ok: true,
      event: {
        kind: "text",
        messageId: "mid-1",
        msgId: "msgYdT9Rk4pXv0e3hJq2LmN8w==",
        text: "本周完成35万，新客户2家",
        senderStaffId: "rep1101",
        senderNick: "张伟",
        conversationType: "1",
      },
    });
  });

  it("allows unknown fields and non-text msgtypes (text is then empty)", () => {
    const data = { ...robotData, msgtype: "picture", text: undefined, content: { downloadCode: "x" }, openThreadId: 1 };
    const r = parseRobotMessage("m", JSON.stringify(data));
    expect(r.ok && r.event.text).toBe("");
    expect(r.ok && r.event.data.openThreadId).toBe(1);
  });

  it("a message without senderStaffId parses with a null sender", () => {
    const { senderStaffId: _, ...rest } = robotData;
    const r = parseRobotMessage("m", JSON.stringify(rest));
    expect(r.ok && r.event.senderStaffId).toBeNull();
  });

  it.each([
    ["not JSON", "{"],
    ["a JSON string", JSON.stringify("hello")],
    ["no msgId", JSON.stringify({ ...robotData, msgId: undefined })],
    ["bad conversationType", JSON.stringify({ ...robotData, conversationType: 1 })],
    ["no sessionWebhook", JSON.stringify({ ...robotData, sessionWebhook: undefined })],
  ])("refuses %s without throwing", (_label, data) => {
    const r = parseRobotMessage("m", data);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.length).toBeGreaterThan(0);
  });
});

describe("parseCardCallback (docs/dingtalk.md §3.6)", () => {
  it("reads a realistic callback, content JSON included", () => {
    expect(parseCardCallback("mid-2", cardCallbackFrame.data)).toEqual({
      ok: true,
      event: {
        kind: "card",
        messageId: "mid-2",
        outTrackId: "target-42-v1-rep1101",
        userId: "rep1101",
        userIdType: 1,
        actionIds: ["confirm_btn"],
        params: { action: "confirm" },
      },
    });
  });

  it.each([
    ["content not JSON", { ...cardData, content: "{oops" }],
    ["content without cardPrivateData", { ...cardData, content: "{}" }],
    ["no outTrackId", { ...cardData, outTrackId: "" }],
    ["params not an object", { ...cardData, content: JSON.stringify({ cardPrivateData: { params: [1] } }) }],
  ])("refuses %s", (_label, data) => {
    expect(parseCardCallback("m", JSON.stringify(data)).ok).toBe(false);
  });
});

describe("dedupe keys", () => {
  const click: CardActionEvent = {
    kind: "card",
    messageId: "a",
    outTrackId: "target:1",
    userId: "u1",
    userIdType: 1,
    actionIds: ["x"],
    params: { action: "dispute", reason: "r", amount: "35万" },
  };

  it("a chat message has a msgId key and a messageId key", () => {
    const r = parseRobotMessage("mid-1", robotTextFrame.data);
    if (!r.ok) throw new Error(r.error);
    expect(textKeys(r.event)).toEqual(["msg:msgYdT9Rk4pXv0e3hJq2LmN8w==", "mid:mid-1"]);
  });

  it("a click key ignores messageId and key order, but not the values", () => {
    const key = cardKey(click);
    expect(key).toMatch(/^card:target:1:u1:dispute:[0-9a-f]{16}$/);
    expect(cardKey({ ...click, messageId: "b", params: { amount: "35万", reason: "r", action: "dispute" } })).toBe(key);
    expect(cardKey({ ...click, params: { ...click.params, amount: "36万" } })).not.toBe(key);
    expect(cardKey({ ...click, userId: "u2" })).not.toBe(key);
  });

  it("canonicalJson sorts nested keys", () => {
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });
});

describe("outgoing shapes", () => {
  it("group replies @ the writer; markdown keeps its title (docs/dingtalk.md §2.1)", () => {
    const target = {
      sessionWebhook: "http://x",
      expiresAt: 0,
      conversationId: "cid",
      conversationType: "2" as const,
      userId: "rep1101",
    };
    expect(webhookBody(target, "hi")).toEqual({
      msgtype: "text",
      text: { content: "hi" },
      at: { atUserIds: ["rep1101"], isAtAll: false },
    });
    expect(webhookBody({ ...target, conversationType: "1" }, { markdown: "## md", title: "t" })).toEqual({
      msgtype: "markdown",
      markdown: { title: "t", text: "## md" },
    });
  });

  it("a callback response becomes an update-API body with privateData keyed by the clicker", () => {
    expect(cardUpdateBody({ outTrackId: "o", userId: "u1", userIdType: 1, update: noticeUpdate("x") })).toEqual({
      outTrackId: "o",
      privateData: { u1: { cardParamMap: { noticeText: "x" } } },
      cardUpdateOptions: { updatePrivateDataByKey: true },
      userIdType: 1,
    });
  });
});
