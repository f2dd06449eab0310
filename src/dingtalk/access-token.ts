import { DingTalkApiError, isRetryableAnswer } from "./dingtalk-api-error.ts";
import { deadline } from "./http-deadline.ts";
import { createTokenCache, type TokenSource } from "./token-cache.ts";

/** A new-API access token, cached and shared by every caller of one client (docs/dingtalk.md §5). */
export type AccessTokenSource = TokenSource;

export interface AccessTokenOptions {
  apiBase: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Clock in ms (tests move it). */
  now?: () => number;
  /** How long the token request may wait for its answer (default 10 s, see http-deadline.ts). */
  timeoutMs?: number;
}

/** Caches `POST ${apiBase}/v1.0/oauth2/accessToken` until shortly before `expireIn` (token-cache.ts). */
export function createAccessTokenSource(opts: AccessTokenOptions): AccessTokenSource {
  return createTokenCache(() => fetchAccessToken(opts), opts.now);
}

async function fetchAccessToken(opts: AccessTokenOptions): Promise<{ token: string; expiresInSec: number }> {
  const url = `${opts.apiBase}/v1.0/oauth2/accessToken`;
  let res: Response;
  let body: Record<string, unknown>;
  const due = deadline(opts.timeoutMs);
  try {
    res = await (opts.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ appKey: opts.clientId, appSecret: opts.clientSecret }),
      signal: due.signal,
    });
    body = (await res.json()) as Record<string, unknown>;
  } catch (err) {
    const code = due.signal.aborted ? "timeout" : "network";
    throw new DingTalkApiError(0, code, `获取钉钉 accessToken 失败：无法访问 ${url}（${due.reason(err)}）`, true, {
      cause: err,
    });
  }
  if (!res.ok) {
    const code = typeof body.code === "string" ? body.code : `HTTP ${res.status}`;
    throw new DingTalkApiError(
      res.status,
      code,
      `获取钉钉 accessToken 失败：${code}（${String(body.message ?? "")}）；请检查 DINGTALK_CLIENT_ID / DINGTALK_CLIENT_SECRET`,
      isRetryableAnswer(res.status, code),
    );
  }
  const token = body.accessToken;
  const expiresInSec = typeof body.expireIn === "number" && body.expireIn > 0 ? body.expireIn : 7200;
  if (typeof token !== "string" || token === "") {
    throw new DingTalkApiError(res.status, "noAccessToken", "获取钉钉 accessToken 失败：应答里没有 accessToken", true);
  }
  return { token, expiresInSec };
}

/** The message of anything thrown. */
export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
