import { z } from "zod";

/**
 * The `data` of a robot message push (docs/dingtalk.md §2), field for field. Unknown fields are allowed: DingTalk
 * adds fields over time (`senderPlatform`, `openThreadId`…) and a new field must not make us drop a message.
 */
export const ZRobotMessageData = z.looseObject({
  msgtype: z.string().min(1),
  text: z.looseObject({ content: z.string() }).optional(),
  msgId: z.string().min(1),
  createAt: z.number(),
  conversationType: z.enum(["1", "2"]),
  conversationId: z.string().min(1),
  conversationTitle: z.string().optional(),
  senderId: z.string().optional(),
  // Optional per docs/dingtalk.md §2; without it we cannot tell who wrote, so handlers get `staff: null`.
  senderStaffId: z.string().optional(),
  senderNick: z.string().default(""),
  senderCorpId: z.string().optional(),
  isAdmin: z.boolean().optional(),
  chatbotCorpId: z.string().optional(),
  chatbotUserId: z.string().optional(),
  robotCode: z.string().optional(),
  isInAtList: z.boolean().optional(),
  atUsers: z.array(z.looseObject({ dingtalkId: z.string().optional(), staffId: z.string().optional() })).optional(),
  sessionWebhook: z.url(),
  sessionWebhookExpiredTime: z.number(),
});
export type TRobotMessageData = z.output<typeof ZRobotMessageData>;

/** `content` of a card callback, itself a JSON string (docs/dingtalk.md §3.6). */
const ZCardContent = z.looseObject({
  cardPrivateData: z.looseObject({
    actionIds: z.array(z.string()).default([]),
    params: z.record(z.string(), z.unknown()).default({}),
  }),
});

/** The `data` of a card action callback (docs/dingtalk.md §3.6); `content` arrives parsed. */
export const ZCardCallbackData = z.looseObject({
  type: z.string().optional(),
  outTrackId: z.string().min(1),
  corpId: z.string().optional(),
  userId: z.string().min(1),
  userIdType: z.number().optional(),
  spaceType: z.string().optional(),
  spaceId: z.string().optional(),
  content: z.string().transform((text, ctx) => {
    const parsed = ZCardContent.safeParse(safeJson(text));
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: "custom", message: "content is not a cardPrivateData JSON string" });
    return z.NEVER;
  }),
});

/** A chat message the bot received; `text` is the trimmed text of text messages, "" for other msgtypes. */
export interface RobotTextEvent {
  kind: "text";
  /** Stream frame `headers.messageId`: the same on a redelivery. */
  messageId: string;
  msgId: string;
  text: string;
  senderStaffId: string | null;
  senderNick: string;
  conversationType: "1" | "2";
  conversationId: string;
  sessionWebhook: string;
  sessionWebhookExpiredTime: number;
  data: TRobotMessageData;
}

/** A tap on a 回传请求 button (docs/dingtalk.md §3.6). */
export interface CardActionEvent {
  kind: "card";
  messageId: string;
  outTrackId: string;
  userId: string;
  /** 1 = userId, 2 = unionId (the card's userIdType). */
  userIdType: number;
  actionIds: string[];
  /** `cardPrivateData.params`, unvalidated: the handler checks them (cards/card-action.ts). */
  params: Record<string, unknown>;
}

export type InboundEvent = RobotTextEvent | CardActionEvent;

export type ParseResult<T> = { ok: true; event: T } | { ok: false; error: string };

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function describe(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "(data)"}: ${i.message}`).join("; ");
}

/** Parses a robot message frame's `data` string. Never throws. */
export function parseRobotMessage(messageId: string, data: string): ParseResult<RobotTextEvent> {
  const parsed = ZRobotMessageData.safeParse(safeJson(data));
  if (!parsed.success) return { ok: false, error: describe(parsed.error) };
  const d = parsed.data;
  return {
    ok: true,
    event: {
      kind: "text",
      messageId,
      msgId: d.msgId,
      text: d.msgtype === "text" ? (d.text?.content ?? "").trim() : "",
      senderStaffId: d.senderStaffId ?? null,
      senderNick: d.senderNick,
      conversationType: d.conversationType,
      conversationId: d.conversationId,
      sessionWebhook: d.sessionWebhook,
      sessionWebhookExpiredTime: d.sessionWebhookExpiredTime,
      data: d,
    },
  };
}

/** Parses a card callback frame's `data` string, including the nested `content` JSON. Never throws. */
export function parseCardCallback(messageId: string, data: string): ParseResult<CardActionEvent> {
  const parsed = ZCardCallbackData.safeParse(safeJson(data));
  if (!parsed.success) return { ok: false, error: describe(parsed.error) };
  const d = parsed.data;
  return {
    ok: true,
    event: {
      kind: "card",
      messageId,
      outTrackId: d.outTrackId,
      userId: d.userId,
      userIdType: d.userIdType ?? 1,
      actionIds: d.content.cardPrivateData.actionIds,
      params: d.content.cardPrivateData.params,
    },
  };
}
