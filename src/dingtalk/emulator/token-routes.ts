import type Router from "@koa/router";
import { DingTalkApiError, LegacyApiError } from "./api-errors.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { isRecord, readApiBody } from "./read-json.ts";

/**
 * Access tokens (docs/dingtalk.md §5): `POST /v1.0/oauth2/accessToken` and the legacy `GET /gettoken` that the Node
 * SDK's `getAccessToken()` uses. Both hand out the same per-app token, valid 7200 s.
 */
export function registerTokenRoutes(router: Router, core: EmulatorCore): void {
  router.post("/v1.0/oauth2/accessToken", async (ctx) => {
    const body = await readApiBody(ctx);
    const app = isRecord(body) ? core.apps.authenticate(body.appKey, body.appSecret) : undefined;
    if (!app) throw new DingTalkApiError(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret");
    ctx.state.clientId = app.clientId;
    const { token, expiresInSec } = core.tokens.issue(app.clientId);
    ctx.body = { accessToken: token, expireIn: expiresInSec };
  });

  router.get("/gettoken", (ctx) => {
    const app = core.apps.authenticate(ctx.query.appkey, ctx.query.appsecret);
    // errcode 40096 per docs/dingtalk.md §5; errmsg text UNVERIFIED.
    if (!app) throw new LegacyApiError(40096, "不合法的appKey或appSecret");
    ctx.state.clientId = app.clientId;
    const { token, expiresInSec } = core.tokens.issue(app.clientId);
    ctx.body = { errcode: 0, errmsg: "ok", access_token: token, expires_in: expiresInSec };
  });
}
