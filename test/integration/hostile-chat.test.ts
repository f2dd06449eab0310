import { afterEach, describe, expect, it, vi } from "vitest";
import { BAD_CHARACTER_REPLY } from "../../src/dingtalk/inbound/bot-errors.ts";
import { CARD_NOTICE_VARIABLE } from "../../src/dingtalk/inbound/run-card-action.ts";
import { ROBOT_MESSAGE_TOPIC } from "../../src/dingtalk/topics.ts";
import { type InboundHarness, recordEffect, startInboundHarness } from "./inbound-harness.ts";

/**
 * Issue #15 item 2 in chat: a NUL or another invalid character in a message, in the sender's id or in a card
 * click's params used to end in 「抱歉，系统处理出错了」 — and with a NUL in the user id the failure itself
 * could not be recorded. Now the person is asked to write again and the refusal is recorded.
 */
let h: InboundHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function replies(userId: string): string[] {
  const chat = h?.emulator.getConversation(h.emulator.directConversationId(userId)) ?? [];
  return chat.flatMap((e) =>
    e.kind === "sessionReply" ? [String((e.body.text as { content?: unknown } | undefined)?.content)] : [],
  );
}

describe("invalid characters in chat and card clicks", () => {
  it("a NUL in the text: the person is asked to write again, no handler runs, the message is recorded", async () => {
    h = await startInboundHarness();
    let calls = 0;
    h.bot.onText(async (ctx) => {
      calls++;
      await recordEffect(ctx.tx, "chat");
      await ctx.reply("ok");
    });
    const id = h.emulator.sendText("rep1101", "本周完成\u000035万")!;
    expect((await h.emulator.waitForAck(id)).status).toBe("acked");
    await vi.waitFor(() => expect(replies("rep1101")).toEqual([BAD_CHARACTER_REPLY]), { timeout: 10_000 });
    expect(BAD_CHARACTER_REPLY).toBe("消息里有无法识别的字符，请重新输入。");
    expect(calls).toBe(0);
    expect(await h.effects()).toBe(0);
    expect(await h.db.prisma.inboundEvent.count({ where: { kind: "text" } })).toBe(2); // msg: + mid:
    // The next, clean message is served as usual.
    await h.emulator.waitForAck(h.emulator.sendText("rep1101", "好的")!);
    await vi.waitFor(() => expect(replies("rep1101")).toEqual([BAD_CHARACTER_REPLY, "ok"]), { timeout: 10_000 });
  });

  it("a NUL in the sender's user id and the msgId: the refusal is still recorded and answered", async () => {
    h = await startInboundHarness();
    h.bot.onText((ctx) => ctx.reply("ok"));
    const conversationId = h.emulator.directConversationId("rep1101");
    const push = h.emulator.pushRaw(ROBOT_MESSAGE_TOPIC, {
      msgtype: "text",
      text: { content: "你好" },
      msgId: "msg\u0000nul",
      createAt: Date.now(),
      conversationType: "1",
      conversationId,
      senderStaffId: "rep\u00001101",
      senderNick: "x",
      sessionWebhook: `${h.emulator.url}/robot/sendBySession?session=nul-test`,
      sessionWebhookExpiredTime: Date.now() + 3_600_000,
    });
    expect((await h.emulator.waitForAck(push)).status).toBe("acked");
    await vi.waitFor(async () => expect(await h?.db.prisma.inboundEvent.count({ where: { kind: "text" } })).toBe(2), {
      timeout: 10_000,
    });
    const keys = (await h.db.prisma.inboundEvent.findMany({ where: { kind: "text" } })).map((e) => e.key).sort();
    expect(keys[1]).toBe("msg:msg\uFFFDnul");
    const rows = await h.db.prisma.outboxMessage.findMany();
    expect(JSON.stringify(rows.map((r) => r.payload))).toContain(BAD_CHARACTER_REPLY);
    // The reply itself goes to a session webhook this test made up (the emulator refuses it); what matters is
    // that neither the refusal nor its recording failed.
    const failures = h.logs.filter((l) => /could not record|inbound handler failed/.test(l.msg));
    expect(failures).toEqual([]);
  });

  it("a NUL in a card click's params: the clicker's notice asks again and nothing is recorded", async () => {
    h = await startInboundHarness();
    let calls = 0;
    h.bot.onCardAction("target:", async () => {
      calls++;
      return {};
    });
    await h.createCard("target:44:v1:rep1101");
    const result = await h.emulator.clickCard("target:44:v1:rep1101", "rep1101", {
      action: "dispute",
      reason: "a\u0000",
    });
    expect(result.status).toBe("applied");
    if (result.status !== "applied") return;
    expect(result.card.privateData.rep1101).toMatchObject({ [CARD_NOTICE_VARIABLE]: BAD_CHARACTER_REPLY });
    expect(calls).toBe(0);
    expect(await h.db.prisma.inboundEvent.count()).toBe(0);
  });
});
