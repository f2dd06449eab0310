import { cardDefinitions } from "../cards/index.ts";
import { loadConfig } from "../src/config.ts";
import type { SandboxDingTalk } from "../src/sandbox/sandbox-dingtalk.ts";

export const ADMIN_TOKEN = "bench-admin-token-0123456789";

/** Production configuration against the emulator: credentials, a template id per card, the scheduler off. */
export function benchConfig(app: SandboxDingTalk["dingtalk"]) {
  const templates = Object.fromEntries(
    Object.entries(cardDefinitions).map(([id, d]) => [d.templateIdConfigKey, `bench.${id}.schema`]),
  );
  return loadConfig({
    ADMIN_TOKEN,
    PORT: "0",
    LOG_LEVEL: "silent",
    BOT_SCHEDULER: "off",
    DINGTALK_CLIENT_ID: app.clientId,
    DINGTALK_CLIENT_SECRET: app.clientSecret,
    DINGTALK_ROBOT_CODE: app.robotCode,
    DINGTALK_API_BASE: app.apiBase,
    DINGTALK_OAPI_BASE: app.oapiBase,
    // Replies go out through the outbox; its rate limit is bench:fanout's subject, so it is set out of the way.
    DINGTALK_QPS: "1000",
    ...templates,
  });
}
