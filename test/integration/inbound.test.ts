import { afterEach, describe, expect, it, vi } from "vitest";
import { GENERIC_APOLOGY } from "../../src/dingtalk/inbound/bot-errors.ts";
import type { TextContext } from "../../src/dingtalk/inbound/inbound-types.ts";
import { CARD_NOTICE_VARIABLE } from "../../src/dingtalk/inbound/run-card-action.ts";
import { CARD_CALLBACK_TOPIC, ROBOT_MESSAGE_TOPIC } from "../../src/dingtalk/topics.ts";
import { AppError } from "../../src/lib/errors.ts";
import { type InboundHarness, recordEffect, startInboundHarness } from "./inbound-harness.ts";

let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The texts of the bot's session-webhook replies in rep1101's chat with the bot. */
function replies(): string[] {
  const chat = h?.emulator.getConversation(h.emulator.directConversationId("rep1101")) ?? [];
  return chat.flatMap((e) =>
    e.kind === "sessionReply" ? [String((e.body.text as { content?: unknown } | undefined)?.content)] : [],
  );
}

/** Replies are sent by the outbox worker after the commit, so they land a moment after waitForAck resolves. */
async function expectReplies(expected: string[]): Promise<void> {
  await vi.waitFor(() => expect(replies()).toEqual(expected), { timeout: 10_000 });
}

describe("inbound chat messages over the real stream client", () => {
  it("hands the text and the sender's staff row to the handler; the reply lands in the chat", async () => {
    h = await startInboundHarness();
    expect(h.inbound.status()).toBe("connected");
    const seen: Pick<TextContext, "event" | "staff">[] = [];
    h.bot.onText(async (ctx) => {
      seen.push({ event: ctx.event, staff: ctx.staff });
      await recordEffect(ctx.tx, "chat");
      await ctx.reply(`收到：${ctx.event.text}`);
    });
    const messageId = h.emulator.sendText("rep1101", " 本周完成35万，新客户2家 ")!;
    const push = await h.emulator.waitForAck(messageId);
    expect(push.ack?.data).toBe(JSON.stringify({ response: null }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.event).toMatchObject({ kind: "text", messageId, text: "本周完成35万，新客户2家" });
    expect(seen[0]?.staff).toMatchObject({ userId: "rep1101", name: "张伟", role: "REP", managerUserId: "mgr110" });
    expect(seen[0]?.staff?.createdAt).toBeInstanceOf(Date);
    await expectReplies(["收到：本周完成35万，新客户2家"]);
    expect(await h.effects()).toBe(1);
  });

  it("answers the flows' claim probes about the sender with the claim, and refuses a probe name that is not a word", async () => {
    h = await startInboundHarness();
    const answers: (boolean | undefined)[][] = [];
    h.bot.use({
      intents: [],
      cardActions: [],
      claimProbes: [
        { name: "test.manager", sql: "EXISTS (SELECT 1 FROM staff WHERE user_id = $3::text AND role = 'MANAGER')" },
        { name: "test.known", sql: "EXISTS (SELECT 1 FROM staff WHERE user_id = $3::text)" },
      ],
    });
    h.bot.onText((ctx) => void answers.push([ctx.probe("test.manager"), ctx.probe("test.known"), ctx.probe("none")]));
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "你好")!);
    await h.emulator.waitForAck(h.emulator.sendText("mgr110", "你好")!);
    await h.emulator.waitForAck(h.emulator.sendText("rep1102", "你好")!); // not in the staff table
    expect(answers).toEqual([
      [false, true, undefined],
      [true, true, undefined],
      [false, false, undefined],
    ]);
    expect(() =>
      h!.bot.use({ intents: [], cardActions: [], claimProbes: [{ name: 'x" AS y, (SELECT 1)', sql: "true" }] }),
    ).toThrow(/claim probe name/);
  });

  it("gives staff null for someone not in the staff table", async () => {
    h = await startInboundHarness();
    const staff: unknown[] = [];
    h.bot.onText((ctx) => void staff.push(ctx.staff));
    await h.emulator.waitForAck(h.emulator.sendText("rep1102", "你好")!);
    expect(staff).toEqual([null]);
  });

  it("an AppError rolls the handler back and the user reads its userMessage", async () => {
    h = await startInboundHarness();
    h.bot.onText(async (ctx) => {
      await recordEffect(ctx.tx, "before-refusal");
      await ctx.reply("这句不会发出");
      throw new AppError("VALIDATION", "没看懂金额，请写成「本周完成35万」");
    });
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "完成了很多")!);
    await expectReplies(["没看懂金额，请写成「本周完成35万」"]);
    expect(await h.effects()).toBe(0);
  });

  it("any other error is logged with its stack, answered with an apology, and the next message is served", async () => {
    h = await startInboundHarness();
    let calls = 0;
    h.bot.onText(async (ctx) => {
      calls++;
      if (ctx.event.text === "boom") throw new TypeError("handler bug");
      await ctx.reply("ok");
    });
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "boom")!);
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "next")!);
    await expectReplies([GENERIC_APOLOGY, "ok"]);
    expect(calls).toBe(2);
    const stacks = h.logs.filter((l) => l.level === 50).map((l) => (l.err as { stack?: string } | undefined)?.stack);
    expect(stacks.some((s) => s?.includes("TypeError: handler bug"))).toBe(true);
  });

  it("a malformed robot message is acked and logged; the next message is still served", async () => {
    h = await startInboundHarness();
    const texts: string[] = [];
    h.bot.onText((ctx) => void texts.push(ctx.event.text));
    const bad = h.emulator.pushRaw(ROBOT_MESSAGE_TOPIC, { msgtype: "text", text: { content: "no ids" } });
    expect((await h.emulator.waitForAck(bad)).status).toBe("acked");
    const badCard = h.emulator.pushRaw(CARD_CALLBACK_TOPIC, { outTrackId: "x", userId: "rep1101", content: "{oops" });
    expect((await h.emulator.waitForAck(badCard)).status).toBe("acked");
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "正常消息")!);
    expect(texts).toEqual(["正常消息"]);
    const warnings = h.logs.filter((l) => l.level === 40 && /malformed/.test(l.msg));
    expect(warnings.map((w) => w.messageId)).toEqual([bad, badCard]);
    expect(await h.db.prisma.inboundEvent.count({ where: { kind: "text" } })).toBe(2); // msg: + mid: of one
  });

  it("after the session webhook expired, the reply goes through batchSend to the writer", async () => {
    // The emulator's clock runs 2 h behind: the 90 min session of the message has expired by real time.
    h = await startInboundHarness({ emulator: { now: () => Date.now() - 2 * 3_600_000 } });
    h.bot.onText((ctx) => ctx.reply("晚到的回复"));
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "你好")!);
    await vi.waitFor(() => expect(h?.emulator.getInbox("rep1101")).toHaveLength(1), { timeout: 10_000 });
    const inbox = h.emulator.getInbox("rep1101");
    expect(inbox).toMatchObject([{ kind: "robotMessage", via: "batchSend", msgKey: "sampleText" }]);
    expect(inbox[0]?.kind === "robotMessage" && inbox[0].msgParam).toEqual({ content: "晚到的回复" });
  });

  it("stop() disconnects", async () => {
    h = await startInboundHarness();
    await h.inbound.stop();
    expect(h.inbound.status()).toBe("disconnected");
  });
});

describe("inbound card clicks over the real stream client", () => {
  it("the handler's response updates the card in the emulator", async () => {
    h = await startInboundHarness();
    await h.createCard("target:42:v1:rep1101");
    const seen: unknown[] = [];
    h.bot.onCardAction("target:", async (ctx) => {
      seen.push({ params: ctx.event.params, staff: ctx.staff?.name, actionIds: ctx.event.actionIds });
      await recordEffect(ctx.tx, "confirm");
      return {
        cardData: { cardParamMap: { status: "confirmed", statusText: "已确认" } },
        userPrivateData: { cardParamMap: { canConfirm: "false" } },
        cardUpdateOptions: { updateCardDataByKey: true, updatePrivateDataByKey: true },
      };
    });
    const result = await h.emulator.clickCard("target:42:v1:rep1101", "rep1101", { action: "confirm" }, "confirm");
    expect(result.status).toBe("applied");
    if (result.status !== "applied") return;
    expect(result.card.publicData).toMatchObject({ status: "confirmed", statusText: "已确认", amount: "4200000" });
    expect(result.card.privateData.rep1101).toEqual({ canConfirm: "false" });
    expect(seen).toEqual([{ params: { action: "confirm" }, staff: "张伟", actionIds: ["confirm"] }]);
    expect(await h.effects()).toBe(1);
  });

  it("an AppError shows its userMessage in the clicker's notice line and records nothing", async () => {
    h = await startInboundHarness();
    await h.createCard("target:43:v1:rep1101");
    h.bot.onCardAction(
      (id) => id.startsWith("target:"),
      async (ctx) => {
        await recordEffect(ctx.tx, "dispute");
        throw new AppError("VALIDATION", "请填写异议原因");
      },
    );
    const result = await h.emulator.clickCard("target:43:v1:rep1101", "rep1101", { action: "dispute" });
    expect(result.status).toBe("applied");
    if (result.status !== "applied") return;
    expect(result.card.privateData.rep1101).toMatchObject({ [CARD_NOTICE_VARIABLE]: "请填写异议原因" });
    expect(result.card.publicData.status).toBe("待确认");
    expect(await h.db.prisma.inboundEvent.count()).toBe(0);
  });

  it("a click on a card no handler serves is answered, not left hanging", async () => {
    h = await startInboundHarness();
    await h.createCard("legacy:1");
    const result = await h.emulator.clickCard("legacy:1", "rep1101", { action: "confirm" });
    expect(result.status).toBe("applied");
    if (result.status !== "applied") return;
    expect(result.card.privateData.rep1101?.[CARD_NOTICE_VARIABLE]).toMatch(/失效/);
  });
});
