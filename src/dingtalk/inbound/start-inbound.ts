import type { DWClientDownStream } from "dingtalk-stream";
import type { Logger } from "../../lib/logger.ts";
import type { GatewayDWClient, StreamClientOptions } from "../stream-client.ts";
import type { Bot } from "./create-bot.ts";
import type { CardUpdate } from "./inbound-types.ts";
import { parseCardCallback, parseRobotMessage } from "./parse-push.ts";
import type { CardResponder } from "./run-card-action.ts";

export interface StartInboundOptions {
  bot: Bot;
  /** apiBase (`DINGTALK_API_BASE` or the emulator), clientId, clientSecret. */
  client: StreamClientOptions;
  log: Logger;
  /**
   * A card callback not answered within this gets an empty answer and its update goes through the card
   * updater (the outbox). DingTalk allows 2 s (docs/dingtalk.md §1.6); 1.5 s leaves room for the network. Default 1500.
   */
  cardDeadlineMs?: number;
  /**
   * Handlers running at once (default 32). More pushes wait here, in arrival order, before their transaction
   * starts, rather than for a database connection inside Prisma (whose `maxWait`, 10 s, would fail them): a
   * burst of thousands would otherwise all queue on the pool (10 connections on PostgreSQL, shared with the
   * outbox worker and HTTP). Not lower: a handler holds its connection only for its transaction, so at 8 (the
   * first choice) the pool sat partly idle and bench:inbound at 100 pushes/s saturated at 79/s (p99 16 s)
   * where unlimited handlers kept up (p99 0.4 s). A card's deadline runs while it waits.
   */
  maxConcurrent?: number;
}

export type InboundStatus = "connecting" | "connected" | "disconnected";

/** The running stream side. */
export interface Inbound {
  /** Disconnects and waits for the handlers already running (their acks may then be lost: they are redelivered). */
  stop(): Promise<void>;
  status(): InboundStatus;
  /** The SDK client, for tests and health checks. */
  readonly client: GatewayDWClient;
}

/**
 * Connects the dingtalk-stream client and feeds each push to the bot: parse → (dedupe + handler in one
 * transaction, in the bot) → ack. Reconnecting after a rotation or a network loss is the SDK's job; a push
 * whose ack was lost with the socket is redelivered by DingTalk and dropped as a duplicate by the bot.
 */
export async function startInbound(opts: StartInboundOptions): Promise<Inbound> {
  const deadlineMs = opts.cardDeadlineMs ?? 1500;
  const slots = createSlots(opts.maxConcurrent ?? 32);
  const running = new Set<Promise<void>>();
  let stopped = false;
  const track = (work: Promise<void>) => {
    running.add(work);
    void work.finally(() => running.delete(work));
  };
  // The SDK (with axios and ws) is loaded here, not when the service's modules load: the service listens first.
  const { createStreamClient } = await import("../stream-client.ts");
  const client: GatewayDWClient = createStreamClient({
    ...opts.client,
    onRobotMessage: (frame) => track(onRobotMessage(client, opts, frame, slots)),
    onCardCallback: (frame) => track(onCardCallback(client, opts, frame, deadlineMs, slots)),
  });
  // connect() resolves after the first attempt; when it failed the SDK keeps retrying every second.
  await client.connect();
  return {
    client,
    status: () => (stopped ? "disconnected" : client.connected ? "connected" : "connecting"),
    async stop() {
      stopped = true;
      client.disconnect();
      await Promise.allSettled([...running]);
    },
  };
}

/**
 * The ack tells DingTalk to stop redelivering (docs/dingtalk.md §1.6). Robot callbacks carry no answer, so the
 * doc's `{"response": null}` is sent. The SDK writes to its current socket; if that socket is gone the ack
 * is lost and the push comes again, which the dedupe keys absorb.
 */
function ack(client: GatewayDWClient, messageId: string, response: CardUpdate | null, log: Logger): void {
  try {
    client.socketCallBackResponse(messageId, response);
  } catch (err) {
    log.warn({ err, messageId }, "ack could not be written; DingTalk will redeliver and the duplicate is dropped");
  }
}

/** A FIFO limit on handlers running at once: `run(fn)` starts fn when a slot is free. */
interface Slots {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

function createSlots(max: number): Slots {
  let free = Math.max(1, max);
  const waiting: (() => void)[] = [];
  return {
    async run(fn) {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await fn();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else free++;
      }
    },
  };
}

async function onRobotMessage(
  client: GatewayDWClient,
  opts: StartInboundOptions,
  frame: DWClientDownStream,
  slots: Slots,
) {
  const messageId = frame.headers.messageId;
  const log = opts.log.child({ messageId });
  const parsed = parseRobotMessage(messageId, frame.data);
  if (!parsed.ok) {
    // Acked anyway: a payload we cannot read will not become readable on redelivery, and an unacked push
    // would come back again and again.
    log.warn({ error: parsed.error, data: frame.data.slice(0, 500) }, "malformed robot message acked and dropped");
    ack(client, messageId, null, log);
    return;
  }
  let acked = false;
  // Persist, then ack: `committed` runs once the handler's transaction has committed (or the failure was
  // recorded), so a crash before the ack means DingTalk redelivers and the dedupe key makes that a no-op.
  const committed = () => {
    if (acked) return;
    acked = true;
    ack(client, messageId, null, log);
  };
  try {
    const outcome = await slots.run(() => opts.bot.handleText(parsed.event, committed, log));
    // Nothing could be stored: no ack, so DingTalk delivers the push again (the dedupe keys are still free).
    if (outcome === "unrecorded") return;
  } catch (err) {
    log.error({ err }, "bot.handleText threw (it should not); acking so the push does not loop");
  }
  committed();
}

async function onCardCallback(
  client: GatewayDWClient,
  opts: StartInboundOptions,
  frame: DWClientDownStream,
  deadlineMs: number,
  slots: Slots,
) {
  const messageId = frame.headers.messageId;
  const log = opts.log.child({ messageId });
  const parsed = parseCardCallback(messageId, frame.data);
  if (!parsed.ok) {
    log.warn({ error: parsed.error, data: frame.data.slice(0, 500) }, "malformed card callback acked and dropped");
    ack(client, messageId, null, log);
    return;
  }
  // One answer per callback: whichever comes first, the handler's response or the deadline's empty one.
  let answered = false;
  const giveUp = () => {
    if (answered) return;
    answered = true;
    clearTimeout(timer);
    ack(client, messageId, null, log);
  };
  const budgetMs = deadlineMs - waitedMs(frame.headers.time);
  const startedAt = performance.now();
  // The timer alone is not enough: on a busy event loop it fires late, and an answer sent after DingTalk's
  // deadline is dropped while the click's effects are committed (the card would keep its buttons). So the
  // elapsed time is also checked whenever the answer is asked about.
  const late = () => performance.now() - startedAt >= budgetMs;
  const timer = setTimeout(giveUp, Math.max(0, budgetMs));
  const responder: CardResponder = {
    respond(update) {
      if (!answered && late()) giveUp();
      if (answered) return false;
      answered = true;
      clearTimeout(timer);
      ack(client, messageId, update, log);
      return true;
    },
    answered: () => {
      if (!answered && late()) giveUp();
      return answered;
    },
  };
  try {
    await slots.run(() => opts.bot.handleCardAction(parsed.event, responder, log));
  } catch (err) {
    log.error({ err }, "bot.handleCardAction threw (it should not)");
    responder.respond({});
  }
}

/**
 * How long ago DingTalk sent the frame, by its `time` header (docs/dingtalk.md §1.3): time a frame spent
 * waiting for this process (a busy event loop, a slow socket) counts against the callback deadline too. A stamp
 * from the future or from longer ago than any deadline is a clock that disagrees with ours: ignored (0).
 */
function waitedMs(time: string | undefined): number {
  const sentAt = Number(time);
  const waited = Date.now() - sentAt;
  return Number.isFinite(waited) && waited >= 0 && waited < 10_000 ? waited : 0;
}
