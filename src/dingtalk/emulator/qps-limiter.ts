/**
 * Per-app per-API QPS limit (docs/dingtalk.md §8: 20 QPS on standard orgs; off by default in the emulator).
 * Sliding one-second window over the requests it let through.
 */
export interface QpsLimiter {
  readonly limit: number | null;
  setLimit(limit: number | null): void;
  /** Records the request and answers whether it is within the limit. */
  allow(clientId: string, api: string, now: number): boolean;
  clear(): void;
}

/** `initial` null = no limit. */
export function createQpsLimiter(initial: number | null): QpsLimiter {
  let limit = initial;
  const windows = new Map<string, number[]>();
  return {
    get limit() {
      return limit;
    },
    setLimit(next) {
      if (next !== null && !(Number.isInteger(next) && next > 0))
        throw new Error("QPS limit must be a positive integer or null");
      limit = next;
      windows.clear();
    },
    allow(clientId, api, now) {
      if (limit === null) return true;
      const key = `${clientId} ${api}`;
      const recent = (windows.get(key) ?? []).filter((t) => now - t < 1000);
      const allowed = recent.length < limit;
      if (allowed) recent.push(now);
      windows.set(key, recent);
      return allowed;
    },
    clear() {
      windows.clear();
    },
  };
}
