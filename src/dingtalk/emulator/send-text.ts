import { ROBOT_MESSAGE_TOPIC } from "../topics.ts";
import { ControlError } from "./api-errors.ts";
import type { AppRecord } from "./app-registry.ts";
import type { Conversation, Session } from "./conversation-store.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import type { SendTextOptions } from "./emulator-types.ts";
import { encryptedId, newMsgId, stableConversationId } from "./ids.ts";

/** The app named by a control call, or the first app. */
export function resolveApp(core: EmulatorCore, clientId: string | undefined): AppRecord {
  const app = clientId === undefined ? core.apps.first() : core.apps.get(clientId);
  if (!app) throw new ControlError(404, `no app with clientId ${clientId}`);
  return app;
}

/** The demo group used when a group message names none. */
export function defaultGroupId(app: AppRecord): string {
  return stableConversationId(`group:${app.clientId}`);
}

/**
 * A person types to the bot. 1:1 messages always reach it; group messages only when they @ the bot
 * (docs/dingtalk.md §2). Returns the push's messageId, or null when the bot does not receive the message.
 */
export function sendText(core: EmulatorCore, userId: string, text: string, opts: SendTextOptions = {}): string | null {
  if (!userId) throw new ControlError(400, "userId is required");
  const app = resolveApp(core, opts.clientId);
  const group = opts.conversationType === "2";
  const conversation = group
    ? core.conversations.group(app.clientId, opts.conversationId ?? defaultGroupId(app), opts.conversationTitle)
    : core.conversations.direct(app.clientId, userId);
  conversation.members.add(userId);
  if (group && opts.atBot !== true) {
    core.conversations.append(conversation, [], { kind: "userText", userId, text, messageId: null });
    return null;
  }
  const createAt = core.clock.now();
  const session = core.conversations.openSession(conversation, userId, createAt);
  const data = robotTextMessage(core, { app, conversation, session, userId, text, createAt });
  // Kept for redelivery even with no connection yet, so it is never undefined here.
  const pushed = core.pushes.push({ clientId: app.clientId, topic: ROBOT_MESSAGE_TOPIC, data, redeliver: true })!;
  const messageId = pushed.record.messageId;
  core.conversations.append(conversation, [], { kind: "userText", userId, text, messageId });
  return messageId;
}

interface MessageInput {
  app: AppRecord;
  conversation: Conversation;
  session: Session;
  userId: string;
  text: string;
  createAt: number;
}

/** The `data` of a robot text message, field for field as docs/dingtalk.md §2. */
export function robotTextMessage(core: EmulatorCore, input: MessageInput): Record<string, unknown> {
  const { app, conversation, session, userId } = input;
  const user = core.directory.user(userId);
  const group = conversation.type === "2";
  return {
    msgtype: "text",
    text: { content: input.text },
    msgId: newMsgId(),
    createAt: input.createAt,
    conversationType: conversation.type,
    conversationId: conversation.id,
    ...(group ? { conversationTitle: conversation.title ?? "测试群" } : {}),
    senderId: encryptedId(`user:${userId}`),
    senderStaffId: userId,
    senderNick: user?.name ?? userId,
    senderCorpId: core.corpId,
    isAdmin: user?.admin ?? false,
    chatbotCorpId: core.corpId,
    chatbotUserId: app.chatbotUserId,
    robotCode: app.robotCode,
    // In groups the bot is in the @ list; a third-party log shows only dingtalkId there (docs/dingtalk.md §2).
    ...(group ? { isInAtList: true, atUsers: [{ dingtalkId: app.chatbotUserId }] } : {}),
    sessionWebhook: `${core.baseUrl}/robot/sendBySession?session=${session.id}`,
    sessionWebhookExpiredTime: session.expiresAt,
  };
}
