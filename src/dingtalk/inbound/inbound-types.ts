import type { Tx } from "../../db/database.ts";
import type { Staff } from "../../generated/prisma/client.ts";
import type { Logger } from "../../lib/logger.ts";
import type { CardActionEvent, RobotTextEvent } from "./parse-push.ts";

/** Where a chat reply goes: the message's session webhook (PLATFORM.md §2.1), valid until `expiresAt`. */
export interface ReplyTarget {
  sessionWebhook: string;
  /** `sessionWebhookExpiredTime` (ms). After it the transport must use batchSend (DESIGN §4). */
  expiresAt: number;
  conversationId: string;
  conversationType: "1" | "2";
  /** The person who wrote (staffId), @-ed in group replies. */
  userId: string | null;
}

/** A chat reply: plain text, or markdown with the title shown in the chat list (PLATFORM.md §2.1). */
export type ReplyBody = string | { markdown: string; title: string };

/**
 * Sends chat replies. Called after the handler's transaction committed and before the push is acked. The
 * HTTP implementation posts to the session webhook; the outbox will implement the same interface.
 */
export interface ReplyTransport {
  reply(target: ReplyTarget, body: ReplyBody): Promise<void>;
}

/** `cardParamMap` values are strings only (PLATFORM.md §3.1). */
export type CardParamMap = Record<string, string>;

/** A card callback response (PLATFORM.md §3.6); empty = leave the card unchanged. */
export interface CardUpdate {
  cardData?: { cardParamMap: CardParamMap };
  /** Applies to the clicking user only. */
  userPrivateData?: { cardParamMap: CardParamMap };
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
}

/**
 * Updates a card outside the callback (`PUT /v1.0/card/instances`, PLATFORM.md §3.4): used when a card
 * handler missed the 2 s deadline, and by `ctx.updateCardLater`. `userId` is whom `userPrivateData` is for.
 */
export interface CardUpdater {
  updateCard(input: { outTrackId: string; userId: string; userIdType: number; update: CardUpdate }): Promise<void>;
}

interface BaseContext {
  /** The acting person from the staff table; null when unknown (not imported yet, or no staffId sent). */
  staff: Staff | null;
  /** The transaction the handler runs in; the dedupe key is inserted in it, so effects happen exactly once. */
  tx: Tx;
  /** Tagged with the push's messageId. */
  log: Logger;
}

/** What a chat handler gets (STYLE.md §3). */
export interface TextContext extends BaseContext {
  event: RobotTextEvent;
  /** Queues a reply into the chat; sent only if the transaction commits. */
  reply(body: ReplyBody): Promise<void>;
}

/** What a card handler gets (STYLE.md §3). */
export interface CardContext extends BaseContext {
  event: CardActionEvent;
  /** Queues a card update sent through the `CardUpdater` once the transaction commits. */
  updateCardLater(update: CardUpdate): Promise<void>;
}

export type TextHandler = (ctx: TextContext) => Promise<void> | void;
/** Returns the callback response, or nothing to leave the card as it is. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers may simply not return.
export type CardHandler = (ctx: CardContext) => Promise<CardUpdate | undefined | void> | CardUpdate | undefined | void;

/** Which card a handler serves: an outTrackId prefix (e.g. "target:") or a predicate. */
export type CardMatcher = string | ((outTrackId: string) => boolean);
