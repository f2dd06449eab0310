import type Router from "@koa/router";
import { LegacyApiError } from "./api-errors.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { isRecord, readLegacyBody } from "./read-json.ts";

/**
 * UNVERIFIED (docs/dingtalk.md §2.1 only says "non-zero errcode"): an unknown or expired session answers HTTP 200
 * errcode 300005, the code the custom-robot webhook gives for an invalid token (§4.1) — the session plays the
 * token's role here. A malformed body answers errcode 400002 (the legacy "invalid parameter", §6).
 */
export const SESSION_EXPIRED_ERRCODE = 300005;
/** See {@link SESSION_EXPIRED_ERRCODE}. */
export const WEBHOOK_BAD_BODY_ERRCODE = 400002;

/** Required fields per msgtype (docs/dingtalk.md §2.1). */
const REQUIRED: Record<string, (body: Record<string, unknown>) => boolean> = {
  text: (b) => hasStrings(b.text, ["content"]),
  markdown: (b) => hasStrings(b.markdown, ["title", "text"]),
  actionCard: (b) =>
    hasStrings(b.actionCard, ["title", "text"]) &&
    (hasStrings(b.actionCard, ["singleTitle", "singleURL"]) || hasButtons(b.actionCard)),
  link: (b) => hasStrings(b.link, ["title", "text", "messageUrl"]),
  feedCard: (b) => isRecord(b.feedCard) && Array.isArray(b.feedCard.links) && b.feedCard.links.length > 0,
};

/** `POST /robot/sendBySession?session=…`: a bot reply into the chat the message came from; no token needed. */
export function registerSessionWebhookRoute(router: Router, core: EmulatorCore): void {
  router.post("/robot/sendBySession", async (ctx) => {
    const id = typeof ctx.query.session === "string" ? ctx.query.session : "";
    const session = core.conversations.session(id);
    if (!session) throw new LegacyApiError(SESSION_EXPIRED_ERRCODE, "token is not exist");
    ctx.state.clientId = session.clientId;
    if (session.expiresAt <= core.clock.now()) {
      throw new LegacyApiError(SESSION_EXPIRED_ERRCODE, "sessionWebhook expired (sessionWebhookExpiredTime passed)");
    }
    const body = await readLegacyBody(ctx);
    const msgtype = typeof body.msgtype === "string" ? body.msgtype : "";
    const valid = REQUIRED[msgtype];
    if (!valid) throw new LegacyApiError(WEBHOOK_BAD_BODY_ERRCODE, `msgtype ${msgtype || "(missing)"} 不支持`);
    if (!valid(body)) throw new LegacyApiError(WEBHOOK_BAD_BODY_ERRCODE, `${msgtype} body is missing fields`);
    const conversation = core.conversations.get(session.conversationId)!;
    const recipients = conversation.type === "1" ? [session.userId] : [...conversation.members];
    core.conversations.append(conversation, recipients, { kind: "sessionReply", msgtype, body });
    ctx.body = { errcode: 0, errmsg: "ok" };
  });
}

function hasStrings(value: unknown, keys: string[]): boolean {
  return isRecord(value) && keys.every((k) => typeof value[k] === "string" && value[k] !== "");
}

function hasButtons(value: unknown): boolean {
  return (
    isRecord(value) &&
    Array.isArray(value.btns) &&
    value.btns.length > 0 &&
    value.btns.every((b) => hasStrings(b, ["title", "actionURL"]))
  );
}
