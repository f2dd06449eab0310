import type { SqlRunner, Tx } from "../../db/database.ts";
import type { Staff } from "../../generated/prisma/client.ts";
import type { Logger } from "../../lib/logger.ts";
import type { HeldRow } from "../outbox/enqueue.ts";
import type { CardActionEvent, RobotTextEvent } from "./parse-push.ts";

/** Where a chat reply goes: the message's session webhook (docs/dingtalk.md §2.1), valid until `expiresAt`. */
export interface ReplyTarget {
  sessionWebhook: string;
  /** `sessionWebhookExpiredTime` (ms). After it the transport must use batchSend (docs/dingtalk.md §2.1). */
  expiresAt: number;
  conversationId: string;
  conversationType: "1" | "2";
  /** The person who wrote (staffId), @-ed in group replies. */
  userId: string | null;
}

/** A chat reply: plain text, or markdown with the title shown in the chat list (docs/dingtalk.md §2.1). */
export type ReplyBody = string | { markdown: string; title: string };

/** A chat reply on its way out. `key` makes storing it idempotent (the message's msgId + the reply's index). */
export interface QueuedReply {
  key: string;
  target: ReplyTarget;
  body: ReplyBody;
}

/**
 * Where chat replies go (docs/architecture.md: every DingTalk call goes through the durable outbox).
 * `enqueue` runs inside the transaction that decided the reply — the handler's own, or the one recording a
 * failure — so the reply exists iff those effects committed, and a crash after the commit cannot lose it.
 * After such a commit, `handOff` is given the replies `enqueue` stored already claimed by their sender (it answers
 * them), so they go out at once; `wake` is called for the others, so the sender claims them now rather than at
 * its next poll.
 */
export interface ReplyTransport {
  enqueue(on: Tx | SqlRunner, reply: QueuedReply): Promise<HeldRow | null>;
  wake?(): void;
  handOff?(rows: readonly HeldRow[]): void;
}

/** `cardParamMap` values are strings only (docs/dingtalk.md §3.1). */
export type CardParamMap = Record<string, string>;

/** A card callback response (docs/dingtalk.md §3.6); empty = leave the card unchanged. */
export interface CardUpdate {
  cardData?: { cardParamMap: CardParamMap };
  /** Applies to the clicking user only. */
  userPrivateData?: { cardParamMap: CardParamMap };
  cardUpdateOptions?: { updateCardDataByKey?: boolean; updatePrivateDataByKey?: boolean };
}

/** A card update on its way out; `userId` is whom `userPrivateData` is for, `key` makes storing it idempotent. */
export interface QueuedCardUpdate {
  key: string;
  outTrackId: string;
  userId: string;
  userIdType: number;
  update: CardUpdate;
}

/**
 * Updates a card outside the callback (`PUT /v1.0/card/instances`, docs/dingtalk.md §3.4): used when a card
 * handler missed the 2 s deadline, and by `ctx.updateCardLater`. Same contract as {@link ReplyTransport}:
 * stored in the transaction that decided it, sent after commit, after the card's create and earlier updates.
 */
export interface CardUpdater {
  enqueue(tx: Tx, update: QueuedCardUpdate): Promise<void>;
  wake?(): void;
}

interface BaseContext {
  /** The acting person from the staff table; null when unknown (not imported yet, or no staffId sent). */
  staff: Staff | null;
  /** The transaction the handler runs in; the dedupe key is inserted in it, so effects happen exactly once. */
  tx: Tx;
  /**
   * Raw statements in that same transaction without Prisma on the way (Database.transaction): for the statements
   * every push runs. Rows as the driver gives them (cast numeric to text).
   */
  sql: SqlRunner;
  /** Tagged with the push's messageId. */
  log: Logger;
}

/**
 * A yes/no question about the sender that a flow's matchers ask of every chat message, answered by the statement
 * that claims the message (no round trip of its own): `sql` is a boolean SQL expression in which `$3` is the
 * sender's user id (null when unknown). `name` is a word (letters, digits, dots). Read with `ctx.probe(name)`.
 */
export interface ClaimProbe {
  name: string;
  sql: string;
}

/** What a chat handler gets. */
export interface TextContext extends BaseContext {
  event: RobotTextEvent;
  /** A {@link ClaimProbe}'s answer for this message; undefined when no such probe is registered. */
  probe(name: string): boolean | undefined;
  /** Stores a reply in the outbox, in this transaction: sent only if it commits, in the order of the calls. */
  reply(body: ReplyBody): Promise<void>;
}

/** What a card handler gets. */
export interface CardContext extends BaseContext {
  event: CardActionEvent;
  /**
   * Queues a card update: stored in this transaction (after the callback's answer when that is late) and sent
   * through the `CardUpdater` once it commits.
   */
  updateCardLater(update: CardUpdate): Promise<void>;
  /**
   * Lets the same person make this same choice on this card again and have it handled (a confirmation: "submit
   * the same figure again"); by default a repeat is a duplicate answered 「已处理」. Takes effect with this
   * transaction. A redelivery of this very push stays a duplicate (its messageId is still recorded).
   */
  releaseChoice(): Promise<void>;
}

export type TextHandler = (ctx: TextContext) => Promise<void> | void;

/**
 * One thing the bot understands in chat (docs/architecture.md "Chat intents"): a message goes to the FIRST
 * intent, in the declared order, whose `match` accepts it — never to two — and to the fallback when none does.
 * `match` may read the database through `ctx.tx` (e.g. "is a figure waiting for 确认?") but must not write.
 */
export interface Intent {
  /** For logs: which intent took a message. */
  name: string;
  match(ctx: TextContext): boolean | Promise<boolean>;
  handle: TextHandler;
}

/** A card click handler for the cards whose outTrackId starts with `prefix`. */
export interface CardAction {
  prefix: string;
  handle: CardHandler;
}

/** What a set of flows gives the bot: chat intents in order, the reply when none matches, card handlers. */
export interface BotHandlers {
  intents: Intent[];
  /** Questions the intents' matchers ask of every message, answered with its claim. */
  claimProbes?: ClaimProbe[];
  fallback?: TextHandler;
  cardActions: CardAction[];
}
/** Returns the callback response, or nothing to leave the card as it is. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers may simply not return.
export type CardHandler = (ctx: CardContext) => Promise<CardUpdate | undefined | void> | CardUpdate | undefined | void;

/** Which card a handler serves: an outTrackId prefix (e.g. "target:") or a predicate. */
export type CardMatcher = string | ((outTrackId: string) => boolean);
