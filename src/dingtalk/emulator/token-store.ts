import type { Clock } from "./clock.ts";
import { newToken } from "./ids.ts";

export type TokenCheck = { ok: true; clientId: string } | { ok: false; reason: "unknown" | "expired" };

/** Access tokens shared by the new API and the legacy API (docs/dingtalk.md §5). */
export interface TokenStore {
  /** A token for the app and its lifetime in seconds. */
  issue(clientId: string): { token: string; expiresInSec: number };
  check(token: string | undefined): TokenCheck;
  /** Expires every token now (control API `expireTokens`). */
  expireAll(): void;
}

interface TokenRecord {
  token: string;
  clientId: string;
  expiresAt: number;
}

/** Tokens in memory, valid `ttlMs` (7200 s by default, docs/dingtalk.md §5). */
export function createTokenStore(clock: Clock, ttlMs: number): TokenStore {
  const byToken = new Map<string, TokenRecord>();
  const current = new Map<string, TokenRecord>();
  return {
    issue(clientId) {
      const now = clock.now();
      const existing = current.get(clientId);
      // UNVERIFIED (docs/dingtalk.md §5): re-fetching inside the validity returns the same token and extends it.
      const record =
        existing && existing.expiresAt > now ? existing : { token: newToken(), clientId, expiresAt: now + ttlMs };
      record.expiresAt = now + ttlMs;
      byToken.set(record.token, record);
      current.set(clientId, record);
      return { token: record.token, expiresInSec: Math.round(ttlMs / 1000) };
    },
    check(token) {
      const record = token ? byToken.get(token) : undefined;
      if (!record) return { ok: false, reason: "unknown" };
      if (record.expiresAt <= clock.now()) return { ok: false, reason: "expired" };
      return { ok: true, clientId: record.clientId };
    },
    expireAll() {
      const now = clock.now();
      for (const record of byToken.values()) record.expiresAt = Math.min(record.expiresAt, now);
    },
  };
}
