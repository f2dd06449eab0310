import type { Database } from "../../db/database.ts";
import type { Logger } from "../../lib/logger.ts";
import { createApiCardUpdater } from "./api-card-updater.ts";
import type {
  BotHandlers,
  CardHandler,
  CardMatcher,
  CardUpdater,
  ClaimProbe,
  Intent,
  ReplyTransport,
  TextHandler,
} from "./inbound-types.ts";
import type { CardActionEvent, RobotTextEvent } from "./parse-push.ts";
import { type CardResponder, runCardAction } from "./run-card-action.ts";
import { runText, type TextOutcome } from "./run-text.ts";
import { createSessionWebhookTransport } from "./session-webhook-transport.ts";

export interface CreateBotOptions {
  db: Database;
  log: Logger;
  /**
   * Chat replies, stored in the handler's transaction (see {@link ReplyTransport}). Default: the outbox with no
   * `wake` (sent at the outbox worker's next poll); the service passes one that wakes its worker.
   */
  replyTransport?: ReplyTransport;
  /** Card updates that missed the callback deadline or were queued with `updateCardLater`; default as above. */
  cardUpdater?: CardUpdater;
  /** Prisma interactive-transaction limits for a handler (defaults 10 s wait, 30 s run). */
  transaction?: { maxWait?: number; timeout?: number };
}

/** Everything the runners need: the options plus the registered handlers. */
export interface BotCore extends Required<Pick<CreateBotOptions, "db" | "log" | "replyTransport" | "cardUpdater">> {
  transaction: { maxWait: number; timeout: number };
  intents: Intent[];
  /** Answers a message no intent took; none = no reply. */
  fallback: TextHandler | undefined;
  cardRoutes: { match: (outTrackId: string) => boolean; handler: CardHandler }[];
  /** Answered by every chat message's claim statement (see {@link ClaimProbe}). */
  probes: ClaimProbe[];
}

/**
 * The small core every flow hooks into, like grammY's Composer: flows register handlers; the
 * stream side (start-inbound.ts) feeds parsed events to `handleText` / `handleCardAction`. Each event runs in
 * one transaction that first records its dedupe key, so a duplicate never runs a handler twice.
 */
export interface Bot {
  /** A chat message goes to the first intent (in the order added) whose matcher accepts it, and to no other. */
  onIntent(intent: Intent): Bot;
  /** A catch-all intent: takes every message that no intent added before it took. */
  onText(handler: TextHandler): Bot;
  /** Adds a set of flows' intents and card actions, and sets the reply for a message no intent takes. */
  use(handlers: BotHandlers): Bot;
  /** A click goes to the first handler whose matcher accepts its outTrackId. */
  onCardAction(match: CardMatcher, handler: CardHandler): Bot;
  /**
   * Runs the matching intent (or the fallback); never throws (errors become a chat reply and a log line). Calls `committed` once
   * the outcome — effects and replies — is durable (the caller acks there), then wakes the reply sender. Answers
   * "unrecorded" (and never calls `committed`) when nothing could be stored: the push must not be acked.
   */
  handleText(event: RobotTextEvent, committed: () => void, log?: Logger): Promise<TextOutcome>;
  /**
   * Runs the card handler; never throws. Answers through `responder` exactly once, after commit, with the
   * callback response; once the deadline has passed the response goes to the card updater instead.
   */
  handleCardAction(event: CardActionEvent, responder: CardResponder, log?: Logger): Promise<void>;
}

/** Creates a bot with no handlers yet. */
export function createBot(opts: CreateBotOptions): Bot {
  const core: BotCore = {
    db: opts.db,
    log: opts.log,
    replyTransport: opts.replyTransport ?? createSessionWebhookTransport(),
    cardUpdater: opts.cardUpdater ?? createApiCardUpdater(),
    transaction: { maxWait: opts.transaction?.maxWait ?? 10_000, timeout: opts.transaction?.timeout ?? 30_000 },
    intents: [],
    fallback: undefined,
    cardRoutes: [],
    probes: [],
  };
  const bot: Bot = {
    onIntent(intent) {
      core.intents.push(intent);
      return bot;
    },
    onText: (handle) => bot.onIntent({ name: "text", match: () => true, handle }),
    use(handlers) {
      for (const intent of handlers.intents) bot.onIntent(intent);
      for (const a of handlers.cardActions) bot.onCardAction(a.prefix, a.handle);
      for (const p of handlers.claimProbes ?? []) {
        if (!/^[A-Za-z0-9.]+$/.test(p.name)) throw new Error(`claim probe name "${p.name}": letters, digits, dots`);
        core.probes.push(p);
      }
      if (handlers.fallback) core.fallback = handlers.fallback;
      return bot;
    },
    onCardAction(match, handler) {
      const test = typeof match === "string" ? (id: string) => id.startsWith(match) : match;
      core.cardRoutes.push({ match: test, handler });
      return bot;
    },
    handleText: (event, committed, log) =>
      runText(core, event, log ?? core.log.child({ messageId: event.messageId }), committed),
    handleCardAction: (event, responder, log) =>
      runCardAction(core, event, responder, log ?? core.log.child({ messageId: event.messageId })),
  };
  return bot;
}
