import type { ReplyTransport } from "./inbound-types.ts";

/** The one call this needs; `OpenApiClient.batchSendOto` (openapi-client.ts) has it. */
export interface BatchSendApi {
  batchSendOto(input: { userIds: string[]; msgKey: string; msgParam: Record<string, unknown> }): Promise<unknown>;
}

/**
 * The fallback reply once a session webhook has expired (DESIGN §4): `oToMessages/batchSend` to the writer's
 * 1:1 chat with the bot (PLATFORM.md §4). Group chats have no fallback here: `groupMessages/send` needs the
 * openConversationId of a group the bot was added to, and a reply to an @ hours later would confuse; those
 * replies fail with a log line instead.
 */
export function createBatchSendReplyTransport(api: BatchSendApi): ReplyTransport {
  return {
    async reply(target, body) {
      if (!target.userId) throw new Error("expired session webhook and no senderStaffId to send to");
      if (target.conversationType === "2") {
        throw new Error(`session webhook of group ${target.conversationId} expired; group replies have no fallback`);
      }
      const message =
        typeof body === "string"
          ? { msgKey: "sampleText", msgParam: { content: body } }
          : { msgKey: "sampleMarkdown", msgParam: { title: body.title, text: body.markdown } };
      await api.batchSendOto({ userIds: [target.userId], ...message });
    },
  };
}
