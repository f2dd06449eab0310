import { AppError } from "../lib/errors.ts";
import { withoutUrls } from "./directory-client.ts";
import { deadline } from "./http-deadline.ts";
import { createTokenCache, type TokenSource } from "./token-cache.ts";

export { REFRESH_MARGIN_MS } from "./token-cache.ts";

/**
 * An access token for the legacy host (oapi.dingtalk.com), cached and shared by every caller; dropped after
 * DingTalk rejected it (errcode 88 / sub_code 40014).
 */
export type LegacyTokenSource = TokenSource;

export interface LegacyTokenOptions {
  oapiBase: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Clock in ms (tests move it). */
  now?: () => number;
  /** How long the token request may wait for its answer (default 10 s, see http-deadline.ts). */
  timeoutMs?: number;
}

/** Caches `GET ${oapiBase}/gettoken?appkey=&appsecret=` until {@link REFRESH_MARGIN_MS} before `expires_in`. */
export function createLegacyTokenSource(opts: LegacyTokenOptions): LegacyTokenSource {
  return createTokenCache(() => fetchLegacyToken(opts), opts.now);
}

interface TokenAnswer {
  errcode?: unknown;
  errmsg?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
}

async function fetchLegacyToken(opts: LegacyTokenOptions): Promise<{ token: string; expiresInSec: number }> {
  const url = new URL(`${opts.oapiBase}/gettoken`);
  url.searchParams.set("appkey", opts.clientId);
  url.searchParams.set("appsecret", opts.clientSecret);
  let body: TokenAnswer;
  const due = deadline(opts.timeoutMs);
  try {
    const res = await (opts.fetch ?? fetch)(url, { method: "GET", signal: due.signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as TokenAnswer;
  } catch (err) {
    // Which API, not its URL: the URL says where DingTalk is reached from inside (and its query holds the secret).
    throw new AppError(
      "UPSTREAM",
      `获取钉钉 access_token 失败：钉钉接口 gettoken 无法访问（${withoutUrls(due.reason(err))}），请稍后再试；如持续失败，请检查 DINGTALK_OAPI_BASE 与网络`,
      {
        cause: err,
      },
    );
  }
  if (body.errcode !== 0) {
    throw new AppError(
      "UPSTREAM",
      `获取钉钉 access_token 失败：errcode ${String(body.errcode)}（${String(body.errmsg ?? "")}）；请检查 DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET 是否为该企业内部应用的 AppKey / AppSecret`,
      { details: { api: "gettoken", errcode: body.errcode, errmsg: body.errmsg } },
    );
  }
  const token = body.access_token;
  const expiresInSec = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 7200;
  if (typeof token !== "string" || token === "") {
    throw new AppError("INTERNAL", "获取钉钉 access_token 失败：gettoken 的应答里没有 access_token");
  }
  return { token, expiresInSec };
}
