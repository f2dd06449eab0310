import type { Logger } from "../../lib/logger.ts";
import type { EmulatorApp } from "./app-registry.ts";
import type { CardCreateCounts, CardRecord, ParamMap, SpaceType } from "./card-store.ts";
import type { ConversationType } from "./conversation-store.ts";
import type { TDirectory, TDirectoryInput } from "./directory-store.ts";
import type { PushRecord } from "./push-tracker.ts";
import type { RequestRecord } from "./request-log.ts";
import type { ConnectionInfo } from "./stream-hub.ts";
import type { TodoTask } from "./todo-store.ts";

export type {
  CardCreateCounts,
  ConnectionInfo,
  EmulatorApp,
  PushRecord,
  RequestRecord,
  TDirectory,
  TDirectoryInput,
  TodoTask,
};

export interface EmulatorOptions {
  /** 0 (default) = a random free port. */
  port?: number;
  /** Interface to listen on and host of the returned URLs (default 127.0.0.1). */
  host?: string;
  apps: EmulatorApp[];
  /** The org directory served by `/topapi/v2/*`; also names message senders. */
  staff?: TDirectoryInput;
  /** `corpId` / `senderCorpId` / `chatbotCorpId` in pushes (default derived, `ding…`). */
  corpId?: string;
  /** Card callbacks must be acked within this (docs/dingtalk.md §1.6; default 2000). */
  cardCallbackDeadlineMs?: number;
  /** Unacked robot messages are pushed again after this; null = never (default 60000, docs/dingtalk.md §1.6). */
  redeliverAfterMs?: number | null;
  /** How many times an unacked push is redelivered (default 1). */
  maxRedeliveries?: number;
  /** SYSTEM ping period per connection; null = none (default 30000, UNVERIFIED interval). */
  pingIntervalMs?: number | null;
  /** rotate(): socket closed this long after SYSTEM disconnect (default 2000; DingTalk ≤ 10 s). */
  disconnectCloseAfterMs?: number;
  /** Gateway ticket validity (default 90 000, docs/dingtalk.md §1.1). */
  ticketTtlMs?: number;
  /** Access-token validity (default 7 200 000, docs/dingtalk.md §5). */
  tokenTtlMs?: number;
  /** Per-app per-API QPS limit; null = off (default). */
  qpsLimit?: number | null;
  /** Clock for expiries (default Date.now). */
  now?: () => number;
  /** Picks the connection for each push (default Math.random). */
  random?: () => number;
  log?: Logger;
}

export interface SendTextOptions {
  /** "1" (default) = 1:1 with the bot, "2" = group. */
  conversationType?: ConversationType;
  /** Group id (`cid…`); default a fixed demo group. Ignored for 1:1 chats. */
  conversationId?: string;
  conversationTitle?: string;
  /** Group messages reach the bot only when they @ it (docs/dingtalk.md §2). Default false. */
  atBot?: boolean;
  /** Which app's bot; default the first app. */
  clientId?: string;
}

/** A card as the emulator holds it. */
export type CardView = CardRecord;

/** A card callback's response as the app acked it (docs/dingtalk.md §3.6). */
export type CardCallbackResponse = Record<string, unknown>;

/** What a click came to. */
export type CardClickResult =
  /** Acked in time; the response (if any) was applied; `card` is the card afterwards. */
  | { status: "applied"; messageId: string; response: CardCallbackResponse | null; card: CardView }
  /** Acked in time, but with a non-200 code or an invalid response; the card is unchanged. */
  | { status: "rejected"; messageId: string; reason: string }
  /** No ack within the deadline; a later ack is recorded on the push and not applied. */
  | { status: "timeout"; messageId: string }
  /** Nothing was pushed (unknown card, not a STREAM card, no subscribed connection…). */
  | { status: "none"; reason: string };

interface InboxBase {
  seq: number;
  at: number;
  conversationId: string;
  conversationType: ConversationType;
}

/** A card as one user sees it now: public data overlaid with their private data. */
export interface CardInboxItem extends InboxBase {
  kind: "card";
  outTrackId: string;
  cardTemplateId: string;
  spaceType: SpaceType;
  spaceId: string;
  publicData: ParamMap;
  privateData: ParamMap;
  data: ParamMap;
}

/** A message sent by batchSend / groupMessages/send (docs/dingtalk.md §4). */
export interface RobotMessageInboxItem extends InboxBase {
  kind: "robotMessage";
  via: "batchSend" | "groupSend";
  msgKey: string;
  msgParam: Record<string, unknown>;
  processQueryKey: string;
}

/** A reply posted to a session webhook (docs/dingtalk.md §2.1). */
export interface SessionReplyInboxItem extends InboxBase {
  kind: "sessionReply";
  msgtype: string;
  /** The whole body as posted. */
  body: Record<string, unknown>;
}

/**
 * A `sampleImageMsg` sent by batchSend / groupMessages/send (docs/dingtalk.md §4.0): an image uploaded with
 * `/media/upload` (`mediaId`, its bytes from `getMedia`) or a public URL (`mediaId` null).
 */
export interface ImageInboxItem extends InboxBase {
  kind: "image";
  via: "batchSend" | "groupSend";
  photoURL: string;
  mediaId: string | null;
  processQueryKey: string;
}

export type InboxItem = CardInboxItem | RobotMessageInboxItem | SessionReplyInboxItem | ImageInboxItem;

/** An uploaded file as the emulator keeps it. */
export interface MediaView {
  mediaId: string;
  type: string;
  contentType: string;
  fileName: string;
  bytes: Buffer;
  createdAt: number;
}

/** What a person typed (only in conversation transcripts). */
export interface UserTextEntry extends InboxBase {
  kind: "userText";
  userId: string;
  text: string;
  /** The push's messageId; null when the bot did not receive it (group message without @). */
  messageId: string | null;
}

export type ConversationEntry = InboxItem | UserTextEntry;

/**
 * A running DingTalk emulator. Every method has an HTTP twin under `/_emulator/…` (see control-routes.ts).
 */
export interface Emulator {
  /** `http://host:port`: serves the api.dingtalk.com paths, the oapi.dingtalk.com paths and `/_emulator`. */
  readonly url: string;
  readonly port: number;
  readonly corpId: string;
  /** A person types `text` to the bot; returns the push's messageId, or null when the bot does not get it. */
  sendText(userId: string, text: string, opts?: SendTextOptions): string | null;
  /** A person taps a 回传请求 button with `params`; resolves once acked, timed out or not pushed. */
  clickCard(
    outTrackId: string,
    userId: string,
    params: Record<string, unknown>,
    actionId?: string,
  ): Promise<CardClickResult>;
  /** A CALLBACK push with arbitrary `data` (malformed-payload tests); returns its messageId (push-raw.ts). */
  pushRaw(topic: string, data: Record<string, unknown>, clientId?: string): string;
  /** Everything the person received, in order. */
  getInbox(userId: string): InboxItem[];
  /** A whole chat, both directions. */
  getConversation(conversationId: string): ConversationEntry[];
  /** The 1:1 chat id between a person and an app's bot. */
  directConversationId(userId: string, clientId?: string): string;
  getCard(outTrackId: string): CardView | undefined;
  listCards(): CardView[];
  /** A file uploaded with `/media/upload`, by media_id (undefined when unknown). */
  getMedia(mediaId: string): MediaView | undefined;
  /** The to-dos (待办) a person holds, by userId, in creation order; [] for a person the directory lacks. */
  listTodos(userId: string): TodoTask[];
  /** Create calls per outTrackId since start or reset: a card sent twice shows here, not in listCards. */
  cardCreateCounts(): CardCreateCounts;
  /** Requests served, in order; `api` = `METHOD path` or a path. */
  listRequests(api?: string): RequestRecord[];
  /** The most requests to `api` in any window of `windowMs` (default 1000). */
  maxRequestsInWindow(api: string, windowMs?: number): number;
  listPushes(): PushRecord[];
  /** Resolves with the push once acked; rejects after `timeoutMs` (default 5000) or on a card deadline. */
  waitForAck(messageId: string, timeoutMs?: number): Promise<PushRecord>;
  listConnections(): ConnectionInfo[];
  setQpsLimit(limit: number | null): void;
  dropAcks(count: number): void;
  delayAcks(ms: number): void;
  /** The next `count` calls to `api` (`METHOD path` or a path) answer 500 system.busy (legacy: errcode -1). */
  fail5xx(api: string, count: number): void;
  latency(ms: number): void;
  /** The next `count` calls to `api` are handled only `ms` later (or at reset or close): an answer that hangs. */
  stall(api: string, count: number, ms: number): void;
  /** SYSTEM disconnect to every connection, then close them; resolves when all are closed. */
  rotate(closeAfterMs?: number): Promise<void>;
  expireTokens(): void;
  setStaff(directory: TDirectoryInput): void;
  getStaff(): TDirectory;
  /** Moves the expiry clock forward (tickets, tokens, session webhooks). */
  advanceClock(ms: number): void;
  /** Forgets cards, to-dos, media, chats, pushes, requests, faults and clock offset; keeps apps, connections, tokens, staff. */
  reset(): void;
  close(): Promise<void>;
}
