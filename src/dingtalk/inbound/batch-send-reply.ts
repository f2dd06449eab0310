import type { BatchSendInput } from "../openapi-client.ts";
import type { ReplyBody, ReplyTarget } from "./inbound-types.ts";

/**
 * The fallback of a reply once its session webhook has expired (docs/dingtalk.md §2.1): `oToMessages/batchSend` to the
 * writer's 1:1 chat with the bot (docs/dingtalk.md §4; no @ there). Group chats get none (undefined):
 * `groupMessages/send` needs the openConversationId of a group the bot was added to, and a reply to an @ hours
 * later would confuse; such a reply is DEAD with a clear error instead (see send-outbox-row.ts).
 */
export function batchSendFallback(target: ReplyTarget, body: ReplyBody): BatchSendInput | undefined {
  if (!target.userId || target.conversationType === "2") return undefined;
  const message =
    typeof body === "string"
      ? { msgKey: "sampleText", msgParam: { content: body } }
      : { msgKey: "sampleMarkdown", msgParam: { title: body.title, text: body.markdown } };
  return { userIds: [target.userId], ...message };
}
