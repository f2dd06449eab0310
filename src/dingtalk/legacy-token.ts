import { AppError } from "../lib/errors.ts";

/**
 * An access token for the legacy host (oapi.dingtalk.com), cached and shared by every caller.
 * PLATFORM.md §5: the token API is rate limited, so callers must not fetch one per request.
 */
export interface LegacyTokenSource {
  /** A valid token: the cached one, or a fresh one (concurrent callers share one request). */
  get(): Promise<string>;
  /**
   * Drops the cached token after DingTalk rejected it (errcode 88 / sub_code 40014). Pass the rejected token:
   * when several calls fail with the same old token, only the first drops the cache, so a token fetched in the
   * meantime is not thrown away again.
   */
  invalidate(rejected?: string): void;
}

export interface LegacyTokenOptions {
  oapiBase: string;
  clientId: string;
  clientSecret: string;
  fetch?: typeof fetch;
  /** Clock in ms (tests move it). */
  now?: () => number;
}

/** Refresh this long before DingTalk says the token expires (the Python SDK uses the same 300 s margin). */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/** Caches `GET ${oapiBase}/gettoken?appkey=&appsecret=` until {@link REFRESH_MARGIN_MS} before `expires_in`. */
export function createLegacyTokenSource(opts: LegacyTokenOptions): LegacyTokenSource {
  const now = opts.now ?? Date.now;
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  // Bumped by invalidate(): a fetch started before it must not repopulate the cache with what may be the
  // rejected token (DingTalk returns the same token while it is valid, PLATFORM.md §5).
  let generation = 0;

  const refresh = (): Promise<string> => {
    const started = generation;
    const request: Promise<string> = fetchLegacyToken(opts)
      .then(({ token, expiresInSec }) => {
        const lifetimeMs = expiresInSec * 1000;
        // A token shorter-lived than twice the margin (emulators, tests) is kept for half its life instead.
        const margin = Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2);
        if (started === generation) cached = { token, refreshAt: now() + lifetimeMs - margin };
        return token;
      })
      .finally(() => {
        if (inflight === request) inflight = undefined;
      });
    inflight = request;
    return request;
  };

  return {
    get() {
      if (cached && now() < cached.refreshAt) return Promise.resolve(cached.token);
      return inflight ?? refresh();
    },
    invalidate(rejected) {
      // Already dropped (cache empty) or already replaced: another caller handled this rejection.
      if (rejected !== undefined && cached?.token !== rejected) return;
      cached = undefined;
      inflight = undefined;
      generation++;
    },
  };
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
  try {
    const res = await (opts.fetch ?? fetch)(url, { method: "GET" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as TokenAnswer;
  } catch (err) {
    throw new AppError(
      "INTERNAL",
      `获取钉钉 access_token 失败：无法访问 ${opts.oapiBase}/gettoken（${errText(err)}）`,
      {
        cause: err,
      },
    );
  }
  if (body.errcode !== 0) {
    throw new AppError(
      "INTERNAL",
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

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
