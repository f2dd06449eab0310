/** A DingTalk access token, cached and shared by every caller (docs/dingtalk.md §5: the token APIs are rate limited). */
export interface TokenSource {
  /** A valid token: the cached one, or a fresh one (concurrent callers share one request). */
  get(): Promise<string>;
  /**
   * Drops the cached token after DingTalk rejected it. Pass the rejected token: when several calls fail with the
   * same old token, only the first drops the cache, so a token fetched in the meantime is kept. Without it the
   * cache is dropped whatever it holds.
   */
  invalidate(rejected?: string): void;
}

/** Refresh this long before DingTalk says a token expires (the Python SDK uses the same 300 s margin). */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Caches what `fetchToken` returns until {@link REFRESH_MARGIN_MS} before it expires; a token shorter-lived
 * than twice the margin (emulators, tests) is kept for half its life instead. `now` is the clock in ms.
 */
export function createTokenCache(
  fetchToken: () => Promise<{ token: string; expiresInSec: number }>,
  now: () => number = Date.now,
): TokenSource {
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  // Bumped by invalidate(): a fetch started before it must not put back what may be the rejected token
  // (DingTalk returns the same token while it is valid, docs/dingtalk.md §5).
  let generation = 0;

  const refresh = (): Promise<string> => {
    const started = generation;
    const request: Promise<string> = fetchToken()
      .then(({ token, expiresInSec }) => {
        const lifetimeMs = expiresInSec * 1000;
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
