import type { Clock } from "./clock.ts";
import { newToken, stableConversationId } from "./ids.ts";

/** "1" = 1:1 chat with the bot, "2" = group (docs/dingtalk.md §2). */
export type ConversationType = "1" | "2";

export interface Conversation {
  id: string;
  type: ConversationType;
  clientId: string;
  title: string | undefined;
  /** Group members the emulator knows of: people who posted there or were addressed by a card. */
  members: Set<string>;
}

/** A session webhook handed out with a robot message (docs/dingtalk.md §2.1). */
export interface Session {
  id: string;
  conversationId: string;
  clientId: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

/** What is stored per conversation entry; cards are resolved when read. */
export type StoredPayload =
  | { kind: "userText"; userId: string; text: string; messageId: string | null }
  | { kind: "card"; outTrackId: string; spaceType: "IM_ROBOT" | "IM_GROUP"; spaceId: string }
  | {
      kind: "robotMessage";
      via: "batchSend" | "groupSend";
      msgKey: string;
      msgParam: Record<string, unknown>;
      processQueryKey: string;
    }
  | { kind: "sessionReply"; msgtype: string; body: Record<string, unknown> }
  | {
      kind: "image";
      via: "batchSend" | "groupSend";
      /** As sent: a media_id from `/media/upload` or a public URL. */
      photoURL: string;
      /** The uploaded image's media_id; null when `photoURL` is a URL. */
      mediaId: string | null;
      processQueryKey: string;
    };

export interface StoredEntry {
  seq: number;
  at: number;
  conversationId: string;
  conversationType: ConversationType;
  /** Who received it (empty for what the bot received). */
  recipients: string[];
  payload: StoredPayload;
}

/** Sessions expire 90 min after the message (docs/dingtalk.md §2: expiredTime − createAt ≈ 5 400 000 ms). */
export const SESSION_TTL_MS = 5_400_000;

export interface ConversationStore {
  /** The app's 1:1 chat with a user (a stable id). */
  direct(clientId: string, userId: string): Conversation;
  /** A group chat, created on first use. */
  group(clientId: string, conversationId: string, title?: string): Conversation;
  get(conversationId: string): Conversation | undefined;
  openSession(conversation: Conversation, userId: string, createdAt: number): Session;
  session(id: string): Session | undefined;
  append(conversation: Conversation, recipients: string[], payload: StoredPayload): StoredEntry;
  /** Entries a user received, in order. */
  inbox(userId: string): StoredEntry[];
  transcript(conversationId: string): StoredEntry[];
  clear(): void;
}

/** Chats, session webhooks and everything posted into them, in memory. */
export function createConversationStore(clock: Clock): ConversationStore {
  const conversations = new Map<string, Conversation>();
  const sessions = new Map<string, Session>();
  let entries: StoredEntry[] = [];
  let seq = 0;
  function ensure(id: string, type: ConversationType, clientId: string, title?: string): Conversation {
    let conversation = conversations.get(id);
    if (!conversation) {
      conversation = { id, type, clientId, title, members: new Set() };
      conversations.set(id, conversation);
    }
    if (title !== undefined) conversation.title = title;
    return conversation;
  }
  return {
    direct(clientId, userId) {
      const conversation = ensure(stableConversationId(`direct:${clientId}:${userId}`), "1", clientId);
      conversation.members.add(userId);
      return conversation;
    },
    group: (clientId, conversationId, title) => ensure(conversationId, "2", clientId, title),
    get: (conversationId) => conversations.get(conversationId),
    openSession(conversation, userId, createdAt) {
      const session: Session = {
        id: newToken(),
        conversationId: conversation.id,
        clientId: conversation.clientId,
        userId,
        createdAt,
        expiresAt: createdAt + SESSION_TTL_MS,
      };
      sessions.set(session.id, session);
      return session;
    },
    session: (id) => sessions.get(id),
    append(conversation, recipients, payload) {
      const entry: StoredEntry = {
        seq: ++seq,
        at: clock.now(),
        conversationId: conversation.id,
        conversationType: conversation.type,
        recipients: [...new Set(recipients)],
        payload,
      };
      entries.push(entry);
      return entry;
    },
    inbox: (userId) => entries.filter((e) => e.recipients.includes(userId)),
    transcript: (conversationId) => entries.filter((e) => e.conversationId === conversationId),
    clear() {
      conversations.clear();
      sessions.clear();
      entries = [];
    },
  };
}
