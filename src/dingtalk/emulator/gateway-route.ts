import type Router from "@koa/router";
import { DingTalkApiError, paramError } from "./api-errors.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { isRecord, readApiBody } from "./read-json.ts";
import type { Subscription } from "./ticket-store.ts";

const SUBSCRIPTION_TYPES = new Set(["EVENT", "CALLBACK", "SYSTEM"]);

/**
 * `POST /v1.0/gateway/connections/open` (docs/dingtalk.md §1.1): checks the credentials, records the subscriptions
 * and hands out a single-use ticket. Unknown fields (`ua`, `localIp`, `extras`) are accepted; the answer is
 * JSON whatever the `Accept` header says. The endpoint has no `?` because SDKs append `?ticket=` raw (§1.2).
 */
export function registerGatewayRoute(router: Router, core: EmulatorCore): void {
  router.post("/v1.0/gateway/connections/open", async (ctx) => {
    const body = await readApiBody(ctx);
    if (!isRecord(body)) throw paramError("param.invalid", "body must be a JSON object");
    const app = core.apps.authenticate(body.clientId, body.clientSecret);
    // Error shape of this endpoint is UNVERIFIED; mirrors the token API's answer to bad credentials (§5).
    if (!app) throw new DingTalkApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret");
    ctx.state.clientId = app.clientId;
    const record = core.tickets.issue({
      clientId: app.clientId,
      subscriptions: parseSubscriptions(body.subscriptions),
      ua: typeof body.ua === "string" ? body.ua : undefined,
      localIp: typeof body.localIp === "string" ? body.localIp : undefined,
    });
    ctx.type = "application/json";
    ctx.body = { endpoint: `${core.baseUrl.replace(/^http/, "ws")}/connect`, ticket: record.ticket };
  });
}

function parseSubscriptions(value: unknown): Subscription[] {
  if (!Array.isArray(value) || value.length === 0) throw paramError("param.invalid", "subscriptions 不能为空");
  return value.map((item, index) => {
    if (!isRecord(item) || typeof item.type !== "string" || !SUBSCRIPTION_TYPES.has(item.type)) {
      throw paramError("param.invalid", `subscriptions[${index}].type must be EVENT, CALLBACK or SYSTEM`);
    }
    if (typeof item.topic !== "string" || item.topic === "") {
      throw paramError("param.invalid", `subscriptions[${index}].topic 不能为空`);
    }
    return { type: item.type as Subscription["type"], topic: item.topic };
  });
}
