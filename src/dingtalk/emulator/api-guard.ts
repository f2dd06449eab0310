import { setTimeout as sleep } from "node:timers/promises";
import type { Context, Next } from "koa";
import { DingTalkApiError, LegacyApiError } from "./api-errors.ts";
import type { AppRecord } from "./app-registry.ts";
import type { EmulatorCore } from "./emulator-core.ts";
import { bufferBody, isRecord } from "./read-json.ts";
import { apiKey } from "./request-log.ts";

const CONTROL_PREFIX = "/_emulator";

function isControl(ctx: Context): boolean {
  return ctx.path === CONTROL_PREFIX || ctx.path.startsWith(`${CONTROL_PREFIX}/`);
}

/** New OpenAPI paths (api.dingtalk.com) answer `{code,message}` errors; the rest are legacy (oapi). */
export function isNewApi(path: string): boolean {
  return path.startsWith("/v1.0/");
}

/**
 * Outermost: records every API request with its timestamp, app and answer, so tests can check throttling
 * and retries from the outside. Control calls are not recorded.
 */
export function recordRequests(core: EmulatorCore) {
  return async (ctx: Context, next: Next) => {
    if (isControl(ctx)) return next();
    const record = core.requests.start(ctx.method, ctx.path, core.clock.now());
    try {
      await next();
    } finally {
      record.clientId = ctx.state.clientId as string | undefined;
      record.status = ctx.status;
      const body: unknown = ctx.body;
      if (isRecord(body) && typeof body.code === "string") record.errorCode = body.code;
      else if (isRecord(body) && typeof body.errcode === "number" && body.errcode !== 0) {
        record.errorCode = String(body.errcode);
      }
    }
  };
}

/** Latency, stalls and injected 5xx (`latency(ms)`, `stall(api, n, ms)`, `fail5xx(api, n)`), for every API path. */
export function injectFaults(core: EmulatorCore) {
  return async (ctx: Context, next: Next) => {
    if (isControl(ctx)) return next();
    if (core.faults.latencyMs > 0) await sleep(core.faults.latencyMs);
    const stallMs = core.faults.takeStall(ctx.method, ctx.path);
    if (stallMs > 0) {
      await bufferBody(ctx);
      await sleep(stallMs, undefined, { signal: core.faults.stallsEnd }).catch(() => undefined);
    }
    if (core.faults.takeFailure(ctx.method, ctx.path)) {
      // docs/dingtalk.md §8: new API 500 system.busy; legacy errcode -1 "system busy" (HTTP 200, §6).
      throw isNewApi(ctx.path)
        ? new DingTalkApiError(500, "system.busy", "系统繁忙")
        : new LegacyApiError(-1, "系统繁忙");
    }
    await next();
  };
}

/**
 * New-API guard: the token travels only in `x-acs-dingtalk-access-token` (docs/dingtalk.md §5); then the
 * per-app per-API QPS limit (§8, 403 when exceeded). `api` names the API of a path with ids in it (the to-do
 * paths carry a unionId), so that the limit counts the API and not each person; default `METHOD path`.
 */
export function newApiAuth(core: EmulatorCore, api?: string) {
  return async (ctx: Context, next: Next) => {
    const token = ctx.get("x-acs-dingtalk-access-token");
    if (!token) {
      throw new DingTalkApiError(400, "AuthenticationFailed.MissingParameter", "缺少参数 x-acs-dingtalk-access-token");
    }
    const check = core.tokens.check(token);
    if (!check.ok) throw new DingTalkApiError(400, "InvalidAuthentication", "不合法的access_token");
    ctx.state.clientId = check.clientId;
    if (!core.qps.allow(check.clientId, api ?? apiKey(ctx.method, ctx.path), core.clock.now())) {
      throw new DingTalkApiError(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "超过应用调用该接口的QPS限制");
    }
    await next();
  };
}

/**
 * Legacy guard: `?access_token=`; invalid → errcode 88 / sub_code 40014 (docs/dingtalk.md §6, §8); an app without
 * the API's `permission` → errcode 88 / sub_code 60011 (DingTalk's server error-code page); QPS → 90018.
 */
export function legacyAuth(core: EmulatorCore, permission?: string) {
  return async (ctx: Context, next: Next) => {
    const token = typeof ctx.query.access_token === "string" ? ctx.query.access_token : undefined;
    const check = core.tokens.check(token);
    if (!check.ok) {
      throw new LegacyApiError(88, "ding talk error[subcode=40014,submsg=不合法的access_token]", {
        sub_code: "40014",
        sub_msg: "不合法的access_token",
      });
    }
    ctx.state.clientId = check.clientId;
    if (permission && core.apps.get(check.clientId)?.withoutPermissions.has(permission)) {
      throw new LegacyApiError(88, "ding talk error[subcode=60011,submsg=没有调用该接口的权限]", {
        sub_code: "60011",
        sub_msg: "没有调用该接口的权限",
      });
    }
    if (!core.qps.allow(check.clientId, apiKey(ctx.method, ctx.path), core.clock.now())) {
      throw new LegacyApiError(90018, "当前应用调用该接口的频率超过限制");
    }
    await next();
  };
}

/** The app a guarded request belongs to. */
export function appOf(ctx: Context, core: EmulatorCore): AppRecord {
  return core.apps.get(ctx.state.clientId as string)!;
}

/** Unknown paths: a 404 in the style of the host the path belongs to. */
export function notFound() {
  return async (ctx: Context, next: Next) => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    ctx.status = 404;
    ctx.body = isNewApi(ctx.path)
      ? { code: "InvalidAction.NotFound", message: `emulator has no ${ctx.method} ${ctx.path}` }
      : { errcode: 404, errmsg: `emulator has no ${ctx.method} ${ctx.path}` };
  };
}
