import { type RenderedCard, renderCardText } from "../../cards/render-text.ts";
import type { ConversationEntry, Emulator } from "../dingtalk/emulator/emulator-types.ts";
import { definitionOfTemplate } from "./card-templates.ts";

/** One line of a person's 1:1 chat with the bot, ready for the sandbox page to draw. */
export type ChatItem =
  | { seq: number; at: number; from: "me"; kind: "text"; text: string }
  | { seq: number; at: number; from: "bot"; kind: "text" | "markdown"; title?: string; text: string }
  | {
      seq: number;
      at: number;
      from: "bot";
      kind: "card";
      outTrackId: string;
      card: RenderedCard | null;
      templateId: string;
    }
  /** An image message: `src` is served by the sandbox (an uploaded media_id) or is the message's own URL. */
  | { seq: number; at: number; from: "bot"; kind: "image"; src: string };

/**
 * The person's chat with the bot: what they typed, the bot's replies and messages, and every card they were
 * sent — each card rendered from its definition in cards/ with the public data and *their* private data, as
 * DingTalk would show it to them.
 */
export function conversationView(emulator: Emulator, userId: string): ChatItem[] {
  const direct = emulator.getConversation(emulator.directConversationId(userId));
  const bySeq = new Map<number, ConversationEntry>();
  for (const e of [...direct, ...emulator.getInbox(userId)]) bySeq.set(e.seq, e);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq).flatMap((e) => toItem(e, userId));
}

function toItem(e: ConversationEntry, userId: string): ChatItem[] {
  const base = { seq: e.seq, at: e.at };
  switch (e.kind) {
    case "userText":
      return e.userId === userId ? [{ ...base, from: "me", kind: "text", text: e.text }] : [];
    case "card": {
      const def = definitionOfTemplate(e.cardTemplateId);
      const card = def ? renderCardText(def, e.publicData, e.privateData) : null;
      return [{ ...base, from: "bot", kind: "card", outTrackId: e.outTrackId, card, templateId: e.cardTemplateId }];
    }
    case "sessionReply":
      return [botMessage(base, e.msgtype, e.body)];
    case "robotMessage":
      return [botMessage(base, e.msgKey === "sampleMarkdown" ? "markdown" : "text", e.msgParam)];
    case "image":
      return [{ ...base, from: "bot", kind: "image", src: e.mediaId ? mediaPath(e.mediaId) : e.photoURL }];
  }
}

/** Where the sandbox serves an uploaded image (the emulator keeps it; see sandbox-routes.ts). */
export function mediaPath(mediaId: string): string {
  return `/sandbox/api/media/${encodeURIComponent(mediaId)}`;
}

function botMessage(base: { seq: number; at: number }, type: string, body: Record<string, unknown>): ChatItem {
  const pick = (o: unknown, k: string) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined);
  const md = pick(body, "markdown") ?? body;
  if (type === "markdown") {
    return {
      ...base,
      from: "bot",
      kind: "markdown",
      title: String(pick(md, "title") ?? ""),
      text: String(pick(md, "text") ?? ""),
    };
  }
  const text = pick(pick(body, "text"), "content") ?? pick(body, "content") ?? JSON.stringify(body);
  return { ...base, from: "bot", kind: "text", text: String(text) };
}
