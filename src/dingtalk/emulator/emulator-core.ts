import { createLogger, type Logger } from "../../lib/logger.ts";
import { type AppRegistry, createAppRegistry } from "./app-registry.ts";
import { type CardStore, createCardStore } from "./card-store.ts";
import { type Clock, createClock } from "./clock.ts";
import { type ConversationStore, createConversationStore } from "./conversation-store.ts";
import { createDirectoryStore, type DirectoryStore } from "./directory-store.ts";
import type { EmulatorOptions } from "./emulator-types.ts";
import { createFaults, type Faults } from "./faults.ts";
import { derivedCorpId } from "./ids.ts";
import { createMediaStore, type MediaStore } from "./media-store.ts";
import { createPushTracker, type PushTracker } from "./push-tracker.ts";
import { createQpsLimiter, type QpsLimiter } from "./qps-limiter.ts";
import { createRequestLog, type RequestLog } from "./request-log.ts";
import { createStreamHub, type StreamHub } from "./stream-hub.ts";
import { createTicketStore, type TicketStore } from "./ticket-store.ts";
import { createTodoStore, type TodoStore } from "./todo-store.ts";
import { createTokenStore, type TokenStore } from "./token-store.ts";

/** Timings and limits with their defaults applied. */
export interface EmulatorSettings {
  host: string;
  cardCallbackDeadlineMs: number;
  redeliverAfterMs: number | null;
  maxRedeliveries: number;
  pingIntervalMs: number | null;
  disconnectCloseAfterMs: number;
  ticketTtlMs: number;
  tokenTtlMs: number;
  qpsLimit: number | null;
}

/** The emulator's state and parts, shared by its routes and its control surface. */
export interface EmulatorCore {
  settings: EmulatorSettings;
  log: Logger;
  clock: Clock;
  corpId: string;
  apps: AppRegistry;
  tokens: TokenStore;
  tickets: TicketStore;
  requests: RequestLog;
  qps: QpsLimiter;
  faults: Faults;
  cards: CardStore;
  conversations: ConversationStore;
  directory: DirectoryStore;
  todos: TodoStore;
  /** What `/media/upload` kept (images for sampleImageMsg). */
  media: MediaStore;
  pushes: PushTracker;
  hub: StreamHub;
  /** `http://host:port`, known once listening. */
  baseUrl: string;
}

/** Applies the defaults documented on {@link EmulatorOptions}. */
export function resolveSettings(opts: EmulatorOptions): EmulatorSettings {
  return {
    host: opts.host ?? "127.0.0.1",
    cardCallbackDeadlineMs: opts.cardCallbackDeadlineMs ?? 2000,
    redeliverAfterMs: opts.redeliverAfterMs === undefined ? 60_000 : opts.redeliverAfterMs,
    maxRedeliveries: opts.maxRedeliveries ?? 1,
    pingIntervalMs: opts.pingIntervalMs === undefined ? 30_000 : opts.pingIntervalMs,
    disconnectCloseAfterMs: opts.disconnectCloseAfterMs ?? 2000,
    ticketTtlMs: opts.ticketTtlMs ?? 90_000,
    tokenTtlMs: opts.tokenTtlMs ?? 7_200_000,
    qpsLimit: opts.qpsLimit ?? null,
  };
}

/** Wires the stores, the stream hub and the push tracker; no I/O until the server listens. */
export function createEmulatorCore(opts: EmulatorOptions): EmulatorCore {
  const settings = resolveSettings(opts);
  const log = opts.log ?? createLogger("silent");
  const clock = createClock(opts.now);
  const apps = createAppRegistry(opts.apps);
  const faults = createFaults();
  const tickets = createTicketStore(clock, settings.ticketTtlMs);
  const pushes: PushTracker = createPushTracker({
    hub: () => hub,
    apps,
    faults,
    clock,
    log,
    redeliverAfterMs: settings.redeliverAfterMs,
    maxRedeliveries: settings.maxRedeliveries,
  });
  const hub = createStreamHub({
    tickets,
    clock,
    random: opts.random ?? Math.random,
    log,
    pingIntervalMs: settings.pingIntervalMs,
    onAck: (connectionId, ack) => pushes.handleAck(connectionId, ack),
  });
  return {
    settings,
    log,
    clock,
    corpId: opts.corpId ?? derivedCorpId(apps.first().clientId),
    apps,
    tokens: createTokenStore(clock, settings.tokenTtlMs),
    tickets,
    requests: createRequestLog(),
    qps: createQpsLimiter(settings.qpsLimit),
    faults,
    cards: createCardStore(),
    conversations: createConversationStore(clock),
    directory: createDirectoryStore(opts.staff),
    todos: createTodoStore(),
    media: createMediaStore(),
    pushes,
    hub,
    baseUrl: "",
  };
}
