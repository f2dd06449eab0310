import { setTimeout as sleep } from "node:timers/promises";
import { ControlError } from "./api-errors.ts";
import { clickCard } from "./card-click.ts";
import { resolveCardFor } from "./card-store.ts";
import type { StoredEntry } from "./conversation-store.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import type { ConversationEntry, Emulator, InboxItem } from "./emulator-types.ts";
import { pushRaw } from "./push-raw.ts";
import type { PushRecord } from "./push-tracker.ts";
import { maxInWindow } from "./request-log.ts";
import { resolveApp, sendText } from "./send-text.ts";

/** The typed control surface over a core; `close` is supplied by whoever owns the server. */
export function createEmulatorControl(core: EmulatorCore, close: () => Promise<void>): Emulator {
  return {
    get url() {
      return core.baseUrl;
    },
    get port() {
      return Number(new URL(core.baseUrl).port);
    },
    corpId: core.corpId,
    sendText: (userId, text, opts) => sendText(core, userId, text, opts),
    clickCard: (outTrackId, userId, params, actionId) =>
      clickCard(core, { outTrackId, userId, params, ...(actionId === undefined ? {} : { actionId }) }),
    pushRaw: (topic, data, clientId) => pushRaw(core, topic, data, clientId),
    getInbox: (userId) =>
      core.conversations
        .inbox(userId)
        .map((e) => resolveEntry(core, e, userId))
        .filter((e): e is InboxItem => e !== undefined && e.kind !== "userText"),
    getConversation: (conversationId) =>
      core.conversations
        .transcript(conversationId)
        // Group transcripts show cards' public data; a 1:1 chat shows its one member's view.
        .map((e) => resolveEntry(core, e, e.conversationType === "1" ? e.recipients[0] : undefined))
        .filter((e) => e !== undefined),
    directConversationId: (userId, clientId) =>
      core.conversations.direct(resolveApp(core, clientId).clientId, userId).id,
    getCard: (outTrackId) => {
      const card = core.cards.get(outTrackId);
      return card && structuredClone(card);
    },
    listCards: () => core.cards.list().map((c) => structuredClone(c)),
    cardCreateCounts: () => core.cards.createCounts(),
    getMedia: (mediaId) => {
      const m = core.media.get(mediaId);
      return m && { ...m, bytes: Buffer.from(m.bytes) };
    },
    listTodos: (userId) =>
      core.directory.user(userId) ? core.todos.of(core.directory.unionIdOf(userId)).map((t) => structuredClone(t)) : [],
    listRequests: (api) => core.requests.list(api).map((r) => ({ ...r })),
    maxRequestsInWindow: (api, windowMs = 1000) =>
      maxInWindow(
        core.requests.list(api).map((r) => r.at),
        windowMs,
      ),
    listPushes: () => core.pushes.list(),
    waitForAck: (messageId, timeoutMs = 5000) => waitForAck(core, messageId, timeoutMs),
    listConnections: () => core.hub.list(),
    setQpsLimit: (limit) => core.qps.setLimit(limit),
    dropAcks: (count) => core.faults.dropAcks(count),
    delayAcks: (ms) => {
      core.faults.ackDelayMs = Math.max(0, ms);
    },
    fail5xx: (api, count) => core.faults.fail5xx(api, count),
    latency: (ms) => {
      core.faults.latencyMs = Math.max(0, ms);
    },
    stall: (api, count, ms) => core.faults.stall(api, count, ms),
    rotate: (closeAfterMs = core.settings.disconnectCloseAfterMs) => core.hub.rotate(closeAfterMs),
    expireTokens: () => core.tokens.expireAll(),
    setStaff: (directory) => core.directory.set(directory),
    getStaff: () => core.directory.get(),
    advanceClock: (ms) => core.clock.advance(ms),
    reset: () => {
      core.cards.clear();
      core.todos.clear();
      core.media.clear();
      core.conversations.clear();
      core.pushes.clear();
      core.requests.clear();
      core.qps.clear();
      core.qps.setLimit(core.settings.qpsLimit);
      core.faults.reset();
      core.clock.reset();
    },
    close,
  };
}

/** Turns a stored entry into what a reader sees; cards show their current data for `userId`. */
function resolveEntry(
  core: EmulatorCore,
  entry: StoredEntry,
  userId: string | undefined,
): ConversationEntry | undefined {
  const base = {
    seq: entry.seq,
    at: entry.at,
    conversationId: entry.conversationId,
    conversationType: entry.conversationType,
  };
  const { payload } = entry;
  if (payload.kind !== "card") return { ...base, ...structuredClone(payload) };
  const card = core.cards.get(payload.outTrackId);
  if (!card) return undefined;
  const view = resolveCardFor(card, userId ?? "");
  return { ...base, ...payload, cardTemplateId: card.cardTemplateId, ...view };
}

async function waitForAck(core: EmulatorCore, messageId: string, timeoutMs: number): Promise<PushRecord> {
  const outcome = core.pushes.outcome(messageId);
  if (!outcome) throw new ControlError(404, `no push with messageId ${messageId}`);
  const abort = new AbortController();
  const timeout = sleep(timeoutMs, "timeout" as const, { signal: abort.signal }).catch(() => "timeout" as const);
  const result = await Promise.race([outcome, timeout]);
  abort.abort();
  const record = core.pushes.get(messageId);
  if (result === "timeout" || result.kind !== "acked" || !record) {
    throw new ControlError(408, `push ${messageId} was not acked (status ${record?.status ?? "unknown"})`);
  }
  return structuredClone(record);
}
