import { createHash, randomBytes, randomInt, randomUUID } from "node:crypto";

/** Identifier generators shaped like the ones seen in real DingTalk payloads (docs/dingtalk.md §1.3, §2, §3.3). */

function digest(seed: string): Buffer {
  return createHash("sha256").update(seed).digest();
}

/** Stream `headers.messageId`, e.g. `212ca9d7_974_1898c159aa6_1783b`. */
export function newMessageId(now: number): string {
  return `${randomBytes(4).toString("hex")}_${randomInt(1000)}_${now.toString(16)}_${randomBytes(3).toString("hex").slice(0, 5)}`;
}

/** Robot message `msgId`, e.g. `msgY…==`. */
export function newMsgId(): string {
  return `msg${randomBytes(16).toString("base64")}`;
}

/** A conversation id derived from a seed, so the same user gets the same 1:1 chat every time: `cid…==`. */
export function stableConversationId(seed: string): string {
  return `cid${digest(seed).subarray(0, 16).toString("base64")}`;
}

/** An "encrypted" id like `senderId` / `chatbotUserId` (`$:LWCP_v1:$…`). */
export function encryptedId(seed: string): string {
  return `$:LWCP_v1:$${digest(seed).subarray(0, 24).toString("base64")}`;
}

/** A stable unionId for a userId when the directory gives none. */
export function derivedUnionId(userId: string): string {
  return `${digest(`union:${userId}`).subarray(0, 18).toString("base64url")}iE`;
}

/** A corpId-like id (`ding` + 32 hex). */
export function derivedCorpId(seed: string): string {
  return `ding${digest(seed).subarray(0, 16).toString("hex")}`;
}

/** Access tokens and session ids: 32 hex chars. */
export function newToken(): string {
  return randomBytes(16).toString("hex");
}

/** `requestid` / `request_id` of API answers. */
export function newRequestId(): string {
  return randomUUID().toUpperCase();
}

/** Opaque keys such as `carrierId` and `processQueryKey`. */
export function newOpaqueKey(): string {
  return randomBytes(24).toString("base64");
}

/** Tickets, connection ids, app ids. */
export function newUuid(): string {
  return randomUUID();
}
