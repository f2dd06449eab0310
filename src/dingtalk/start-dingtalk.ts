import type { AppDeps } from "../app-deps.ts";
import { createApiCardUpdater } from "./inbound/api-card-updater.ts";
import { createBot } from "./inbound/create-bot.ts";
import type { BotHandlers } from "./inbound/inbound-types.ts";
import { createSessionWebhookTransport } from "./inbound/session-webhook-transport.ts";
import { type Inbound, startInbound } from "./inbound/start-inbound.ts";
import { createOpenApiClient } from "./openapi-client.ts";
import { type OutboxWorker, startOutboxWorker } from "./outbox/outbox-worker.ts";

export interface DingTalkRuntime {
  outbox: OutboxWorker;
  inbound: Inbound;
  /** For /healthz: "connected", "connecting" or "disconnected". */
  status(): string;
  /** Stops taking pushes (unacked ones are redelivered to another replica), then finishes in-flight sends. */
  stop(): Promise<void>;
}

/**
 * The bot's two directions against one DingTalk app (or the sandbox emulator): the outbox worker sending
 * what the flows queued, and the stream connection feeding pushes to the handlers the service passes in (the
 * flows' intents and card actions: this side knows no flow).
 */
export async function startDingTalk(
  deps: Pick<AppDeps, "dingtalk" | "log" | "db" | "config">,
  handlers: BotHandlers,
): Promise<DingTalkRuntime | undefined> {
  const app = deps.dingtalk;
  if (!app) return undefined;
  const log = deps.log.child({ component: "dingtalk" });
  const client = createOpenApiClient({ ...app, timeoutMs: deps.config.dingtalk.httpTimeoutMs });
  const outbox = startOutboxWorker({
    db: deps.db,
    client,
    qps: deps.config.dingtalk.qps,
    retryHorizonMs: deps.config.outbox.retryHorizonMs,
    retryBaseMs: deps.config.outbox.retryBaseMs,
    leaseMs: deps.config.outbox.leaseMs,
    log: log.child({ part: "outbox" }),
  });
  const bot = createBot({
    db: deps.db,
    log: log.child({ part: "bot" }),
    // Replies and late card updates are outbox rows stored in the handler's transaction; waking the worker
    // after the commit sends them now rather than at its next poll. A reply that may go first is stored already
    // claimed by the worker and handed to it after the commit: no claim statement to find it.
    replyTransport: createSessionWebhookTransport({ wake: () => outbox.wake(), handOff: () => outbox.handOff }),
    cardUpdater: createApiCardUpdater({ wake: () => outbox.wake() }),
  }).use(handlers);
  const inbound = await startInbound({
    bot,
    client: { apiBase: app.apiBase, clientId: app.clientId, clientSecret: app.clientSecret },
    log: log.child({ part: "inbound" }),
  });
  return {
    outbox,
    inbound,
    status: () => inbound.status(),
    async stop() {
      await inbound.stop();
      await outbox.stop();
    },
  };
}
